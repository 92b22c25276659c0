// Minimal, textual edits of Codex's config.toml: every comment, key, order, blank line and line
// ending stays as it is; only the lines we add change, and each carries a marker comment so
// that uninstall removes exactly those (and never a setting the user wrote, even one with the
// same value). No TOML library: a formatting-preserving one exists on npm
// (@decimalturn/toml-patch), but it would be a new dependency of the package for three lines
// whose exact removal rests on marker comments, which a hand-written edit controls directly.
// A scanner of TOML's statement structure (strings, multi-line strings and arrays, inline
// tables, comments, table headers) is enough to find where a key is and where a statement
// ends; the tests hold it to tricky files (comments, CRLF, inline tables, no final newline).
//
// What is edited:
// - `[features] hooks = true`: Codex's hooks switch (on by default since 0.124). `hooks` is
//   the current key, `codex_hooks` its deprecated alias (0.171 prints a deprecation line on
//   every run when it is set). Either one set by the user is respected as it is, true or false.
// - `notify = [...]` at the top level: Codex's one notify program. Ours is added only when none
//   is set; a program the user set is never replaced.

/** Ends every line we add (after the TOML value, as a comment). */
export const TOML_MARKER = '# added by nexus-buffer';
/** The marker of a table header we appended to a file that had no final newline. */
const TOML_MARKER_NO_EOL = `${TOML_MARKER} (the file had no final newline)`;
const MARKER_PATTERN = /#\s*added by nexus-buffer\b(.*)$/;

export interface TomlStatement {
  kind: 'header' | 'keyvalue';
  /** Offsets in the text: from the start of the statement's first line to after its last line's end of line. */
  start: number;
  end: number;
  /** The table the statement is in (a header: its own name), as dotted parts; [] is the root. */
  table: string[];
  /** For a key/value: the key's parts (dotted keys split, quotes removed). */
  key: string[];
  /** For a key/value: the value's text, without the trailing comment. */
  value: string;
  /** The comment at the end of the statement's last line, when there is one. */
  comment?: string;
  /** An array of tables (`[[name]]`). */
  arrayTable?: boolean;
}

export class TomlScanError extends Error {}

/** The statements of a TOML document, in order. Throws TomlScanError for a text that is not TOML. */
export function scanToml(text: string): TomlStatement[] {
  const statements: TomlStatement[] = [];
  let table: string[] = [];
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  const n = text.length;
  const lineOf = (at: number) => text.slice(0, at).split('\n').length;
  const fail = (at: number, what: string): never => {
    throw new TomlScanError(`line ${lineOf(at)}: ${what}`);
  };

  while (i < n) {
    const lineStart = i;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const c = text[i]!;
    if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) { i = skipEol(text, i); continue; }
    if (c === '#') { i = endOfLine(text, i); i = skipEol(text, i); continue; }
    if (c === '[') {
      const arrayTable = text[i + 1] === '[';
      i += arrayTable ? 2 : 1;
      const parsed = parseKey(text, i, fail);
      i = skipSpaces(text, parsed.end);
      if (text[i] !== ']' || (arrayTable && text[i + 1] !== ']')) fail(i, 'a table header is not closed with ]');
      i += arrayTable ? 2 : 1;
      const tail = trailing(text, i, fail);
      table = parsed.parts;
      statements.push({ kind: 'header', start: lineStart, end: tail.end, table, key: [], value: '', ...(tail.comment !== undefined ? { comment: tail.comment } : {}), ...(arrayTable ? { arrayTable } : {}) });
      i = tail.end;
      continue;
    }
    const parsed = parseKey(text, i, fail);
    i = skipSpaces(text, parsed.end);
    if (text[i] !== '=') fail(i, `expected = after the key ${parsed.parts.join('.')}`);
    i = skipSpaces(text, i + 1);
    const valueStart = i;
    i = skipValue(text, i, fail);
    const value = text.slice(valueStart, i).trimEnd();
    const tail = trailing(text, i, fail);
    statements.push({ kind: 'keyvalue', start: lineStart, end: tail.end, table, key: parsed.parts, value, ...(tail.comment !== undefined ? { comment: tail.comment } : {}) });
    i = tail.end;
  }
  return statements;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

function endOfLine(text: string, i: number): number {
  const at = text.indexOf('\n', i);
  if (at === -1) return text.length;
  return text[at - 1] === '\r' ? at - 1 : at;
}

function skipEol(text: string, i: number): number {
  if (text[i] === '\r' && text[i + 1] === '\n') return i + 2;
  if (text[i] === '\n') return i + 1;
  return i;
}

/** After a value or header: spaces, an optional comment, the end of the line. */
function trailing(text: string, i: number, fail: (at: number, what: string) => never): { end: number; comment?: string } {
  i = skipSpaces(text, i);
  let comment: string | undefined;
  if (text[i] === '#') {
    const eol = endOfLine(text, i);
    comment = text.slice(i, eol);
    i = eol;
  }
  if (i < text.length && text[i] !== '\n' && text[i] !== '\r') fail(i, 'unexpected text after a value');
  return { end: skipEol(text, i), ...(comment !== undefined ? { comment } : {}) };
}

function parseKey(text: string, i: number, fail: (at: number, what: string) => never): { parts: string[]; end: number } {
  const parts: string[] = [];
  for (;;) {
    i = skipSpaces(text, i);
    const c = text[i];
    if (c === '"') {
      const end = skipBasicString(text, i, fail);
      parts.push(JSON.parse(text.slice(i, end).replace(/\\U([0-9A-Fa-f]{8})/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))));
      i = end;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1 || text.slice(i, end).includes('\n')) fail(i, 'a quoted key is not closed');
      parts.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      const match = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 256));
      if (!match) fail(i, 'expected a key');
      parts.push(match![0]);
      i += match![0].length;
    }
    const after = skipSpaces(text, i);
    if (text[after] !== '.') return { parts, end: i };
    i = after + 1;
  }
}

function skipBasicString(text: string, i: number, fail: (at: number, what: string) => never): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '\\') { j += 2; continue; }
    if (c === '"') return j + 1;
    if (c === '\n') break;
    j++;
  }
  return fail(i, 'a string is not closed');
}

/** Skips one value: strings (all four kinds), arrays and inline tables (nested, multi-line), scalars. */
function skipValue(text: string, i: number, fail: (at: number, what: string) => never): number {
  const c = text[i];
  if (c === undefined || c === '\n' || c === '\r' || c === '#') fail(i, 'a key has no value');
  if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
    const quote = text.slice(i, i + 3);
    let j = i + 3;
    for (;;) {
      const at = text.indexOf(quote, j);
      if (at === -1) fail(i, 'a multi-line string is not closed');
      if (quote === '"""') {
        let backslashes = 0;
        for (let k = at - 1; k >= i + 3 && text[k] === '\\'; k--) backslashes++;
        if (backslashes % 2 === 1) { j = at + 1; continue; }
      }
      // Up to two more quotes may end the content ("""a""""" is 'a""').
      let end = at + 3;
      while (end < text.length && text[end] === quote[0] && end < at + 5) end++;
      return end;
    }
  }
  if (c === '"') return skipBasicString(text, i, fail);
  if (c === "'") {
    const end = text.indexOf("'", i + 1);
    if (end === -1 || text.slice(i, end).includes('\n')) fail(i, 'a string is not closed');
    return end + 1;
  }
  if (c === '[' || c === '{') {
    const stack: string[] = [c === '[' ? ']' : '}'];
    let j = i + 1;
    while (j < text.length && stack.length > 0) {
      const d = text[j]!;
      if (text.startsWith('"""', j) || text.startsWith("'''", j) || d === '"' || d === "'") { j = skipValue(text, j, fail); continue; }
      if (d === '#') { j = endOfLine(text, j); continue; }
      if (d === '[') stack.push(']');
      else if (d === '{') stack.push('}');
      else if (d === ']' || d === '}') {
        if (stack.pop() !== d) fail(j, `unexpected ${d}`);
      }
      j++;
    }
    if (stack.length > 0) fail(i, `${c === '[' ? 'an array' : 'an inline table'} is not closed`);
    return j;
  }
  // A scalar: up to a space, a comment or the end of the line (dates may hold one space: 1979-05-27 07:32:00).
  const match = /^(?:\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}[^\s#,\]}]*|[^\s#,\]}]+)/.exec(text.slice(i, i + 200));
  if (!match) fail(i, 'expected a value');
  return i + match![0].length;
}

// ---------------------------------------------------------------------------------------------

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

export function isOurs(statement: TomlStatement): boolean {
  return statement.comment !== undefined && MARKER_PATTERN.test(statement.comment);
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((part, i) => part === b[i]);

export type FeatureState =
  | { state: 'on'; key: string; ours: boolean }
  | { state: 'off'; key: string }
  | { state: 'unset' };

const FEATURE_KEYS = ['hooks', 'codex_hooks'] as const;

/** Whether config.toml turns Codex's hooks on or off (`hooks` first, then its old alias). */
export function featureState(text: string): FeatureState {
  const statements = scanToml(text);
  for (const name of FEATURE_KEYS) {
    for (const s of statements) {
      if (s.kind !== 'keyvalue') continue;
      const inFeatures = (same(s.table, ['features']) && same(s.key, [name])) || (s.table.length === 0 && same(s.key, ['features', name]));
      if (inFeatures && (s.value === 'true' || s.value === 'false')) {
        return s.value === 'true' ? { state: 'on', key: name, ours: isOurs(s) } : { state: 'off', key: name };
      }
      if (s.table.length === 0 && same(s.key, ['features']) && s.value.startsWith('{')) {
        const match = new RegExp(`(?:^|[{,\\s])"?${name}"?\\s*=\\s*(true|false)\\b`).exec(s.value);
        if (match) return match[1] === 'true' ? { state: 'on', key: name, ours: false } : { state: 'off', key: name };
      }
    }
  }
  return { state: 'unset' };
}

/**
 * The text with `hooks = true` added (marked), when config.toml sets neither `hooks` nor
 * `codex_hooks`; the text unchanged otherwise. Throws for `features` written as an inline table
 * (TOML does not let a key be added to one from outside; the person edits it).
 */
export function withHooksFeature(text: string): string {
  if (featureState(text).state !== 'unset') return text;
  const statements = scanToml(text);
  const eol = eolOf(text);
  const inline = statements.find((s) => s.kind === 'keyvalue' && s.table.length === 0 && same(s.key, ['features']));
  if (inline) {
    throw new TomlScanError('"features" is an inline table (features = { … }); add hooks = true to it yourself');
  }
  const header = statements.find((s) => s.kind === 'header' && !s.arrayTable && same(s.table, ['features']));
  if (header) {
    const keys = statements.filter((s) => s.kind === 'keyvalue' && same(s.table, ['features']));
    const after = keys.length > 0 ? keys[keys.length - 1]! : header;
    const indent = keys.length > 0 ? /^[ \t]*/.exec(text.slice(keys[0]!.start))![0] : '';
    return insertLine(text, after.end, `${indent}hooks = true ${TOML_MARKER}`, eol);
  }
  const dotted = statements.filter((s) => s.kind === 'keyvalue' && s.table.length === 0 && s.key[0] === 'features');
  if (dotted.length > 0) {
    const last = dotted[dotted.length - 1]!;
    return insertLine(text, last.end, `features.hooks = true ${TOML_MARKER}`, eol);
  }
  const body = text.replace(/^\uFEFF/, '');
  const noFinalEol = body !== '' && !body.endsWith('\n');
  return `${text}${noFinalEol ? eol : ''}[features] ${noFinalEol ? TOML_MARKER_NO_EOL : TOML_MARKER}${eol}hooks = true ${TOML_MARKER}${eol}`;
}

/** Inserts one line at `at` (a line start; at the very end of a text without a final newline, one is added first). */
function insertLine(text: string, at: number, line: string, eol: string): string {
  const before = text.slice(0, at);
  // `at` is a line start, except at the end of a text without a final newline.
  const needsEol = at === text.length && before.replace(/^\uFEFF/, '') !== '' && !before.endsWith('\n');
  if (needsEol) {
    // Only at the end of a file without a final newline: the added line then ends the file
    // without one too, so removing it (and the newline before it) gives the file back as it was.
    return `${before}${eol}${line}${text.slice(at)}`;
  }
  return `${before}${line}${eol}${text.slice(at)}`;
}

export type NotifyState =
  | { state: 'none' }
  | { state: 'ours'; value: string }
  | { state: 'theirs'; value: string };

/** The top-level `notify` program and whose it is (ours: the marker and our `--from`). */
export function notifyState(text: string, ourFrom = 'codex-notify'): NotifyState {
  const statement = scanToml(text).find((s) => s.kind === 'keyvalue' && s.table.length === 0 && same(s.key, ['notify']));
  if (!statement) return { state: 'none' };
  const ours = isOurs(statement) && statement.value.includes(ourFrom);
  return { state: ours ? 'ours' : 'theirs', value: statement.value };
}

/** A TOML array of basic strings. */
export function tomlStringArray(words: readonly string[]): string {
  return `[${words.map((word) => JSON.stringify(word)).join(', ')}]`;
}

/**
 * The text with our `notify` program: added at the end of the top-level keys when none is set,
 * updated in place when ours is there with other words; unchanged when another program is set.
 */
export function withNotify(text: string, argv: readonly string[], ourFrom = 'codex-notify'): string {
  const value = tomlStringArray(argv);
  const statements = scanToml(text);
  const eol = eolOf(text);
  const current = statements.find((s) => s.kind === 'keyvalue' && s.table.length === 0 && same(s.key, ['notify']));
  const line = `notify = ${value} ${TOML_MARKER}`;
  if (current) {
    if (!(isOurs(current) && current.value.includes(ourFrom))) return text;
    if (current.value === value) return text;
    const indent = /^[ \t]*/.exec(text.slice(current.start))![0];
    const tail = text.slice(current.start, current.end);
    const lineEnd = /\r?\n$/.exec(tail)?.[0] ?? '';
    return `${text.slice(0, current.start)}${indent}${line}${lineEnd}${text.slice(current.end)}`;
  }
  const rootKeys = statements.filter((s) => s.kind === 'keyvalue' && s.table.length === 0);
  const firstHeader = statements.find((s) => s.kind === 'header');
  if (rootKeys.length > 0) return insertLine(text, rootKeys[rootKeys.length - 1]!.end, line, eol);
  // No top-level key: before the first table (a key after a header would belong to that table).
  const at = firstHeader ? firstHeader.start : text.length;
  const bom = text.startsWith('\uFEFF') && at === 0 ? 1 : 0;
  return insertLine(text, at + bom, line, eol);
}

/** Our `hooks = true` line (in `[features]` or as `features.hooks`). */
export function isFeatureLine(s: TomlStatement): boolean {
  return s.kind === 'keyvalue' && ((same(s.table, ['features']) && same(s.key, ['hooks'])) || (s.table.length === 0 && same(s.key, ['features', 'hooks'])));
}

/**
 * The text without the lines we added (marked; `only` narrows which key/value lines); a header
 * of ours goes only when its table is left empty.
 */
export function withoutOurLines(text: string, only: (s: TomlStatement) => boolean = () => true): string {
  const statements = scanToml(text);
  const remove = new Set(statements.filter((s) => s.kind === 'keyvalue' && isOurs(s) && only(s)));
  for (const s of statements) {
    if (s.kind !== 'header' || !isOurs(s)) continue;
    const members = statements.filter((t) => t.kind === 'keyvalue' && t.table === s.table && !remove.has(t));
    if (members.length === 0) remove.add(s);
  }
  if (remove.size === 0) return text;
  let out = '';
  let at = 0;
  for (const s of statements) {
    if (!remove.has(s)) continue;
    out += text.slice(at, s.start);
    at = s.end;
    const noEolMarker = s.comment?.includes('(the file had no final newline)') === true;
    const removedLineHadNoEol = !/\n$/.test(text.slice(s.start, s.end));
    // A line we appended to a file without a final newline: drop the newline we put before it.
    if ((noEolMarker || removedLineHadNoEol) && restIsOnlyOurs(statements, remove, s, text)) out = out.replace(/\r?\n$/, '');
  }
  return out + text.slice(at);
}

/** True when everything after `s` in the text is lines being removed (so `s` ends the file). */
function restIsOnlyOurs(statements: TomlStatement[], remove: Set<TomlStatement>, s: TomlStatement, text: string): boolean {
  const later = statements.filter((t) => t.start >= s.end);
  if (!later.every((t) => remove.has(t))) return false;
  const last = later.length > 0 ? later[later.length - 1]! : s;
  return text.slice(last.end).trim() === '';
}
