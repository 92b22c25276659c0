// How deeply a context may nest. The crate reads a snapshot with serde_json, which refuses a
// document nested 128 levels deep, and then cannot read any entry of that agent; a context
// sits 3 levels down in the snapshot (the document, `entries`, the entry). So a context may
// nest as deep as crateSchema.ts allows an entry, less the entry's own level (the context
// object itself is level 1). Checked without recursion, so no depth can overflow the stack (a
// 10,000-deep value used to fail with "Maximum call stack size exceeded").
// A leaf module: the lean hook path checks with it too.
import { MAX_ENTRY_DEPTH } from './crateSchema';

export const MAX_CONTEXT_DEPTH = MAX_ENTRY_DEPTH - 1;

interface Frame {
  value: object;
  depth: number;
  parent?: Frame;
  key?: string | number;
}

/** The path segments to the first value nested deeper than `maxDepth` levels, or undefined. */
export function tooDeepAt(value: unknown, maxDepth: number): Array<string | number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Frame[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      const path: Array<string | number> = [];
      for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) path.push(at.key);
      return path.reverse();
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(frame.value)
      ? frame.value.map((item, i) => [i, item])
      : Object.entries(frame.value);
    for (const [key, item] of entries) {
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return undefined;
}

/**
 * A message naming where `value` nests deeper than the limit (`what` names the value, e.g.
 * `context`), or undefined when it does not.
 */
export function nestingProblem(value: unknown, what: string, maxDepth = MAX_CONTEXT_DEPTH): string | undefined {
  const path = tooDeepAt(value, maxDepth);
  if (!path) return undefined;
  const shown = 8;
  const at = path.slice(0, shown).reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  // `context.custom.deep…`, or for a name that is not a field: `claude-hook input: tool_input…`
  const field = /^\w+$/.test(what) ? `${what}${at.startsWith('[') ? '' : '.'}${at}` : `${what}: ${at}`;
  return `${field}${path.length > shown ? '…' : ''}: nested deeper than ${maxDepth} levels, refused (the crate cannot read a buffer nested 128 levels deep, and a context sits 3 levels down in it)`;
}
