// Glob patterns of `nexusBuffer.capture.exclude`, matched against workspace-relative paths.
// Pure (VS Code has no public API to match a glob against a path without a document, and a
// deleted file has none). Supports what settings use: `**`, `*`, `?`, `{a,b}`, `[abc]`.
//
// A path is excluded when the pattern matches the path itself or one of its parent folders
// (`**/node_modules` excludes everything below it), and a pattern without a `/` also matches
// any single file or folder name (`.env*` excludes `config/.env.local`), which is what people
// mean when they write one.

export type PathMatcher = (relativePath: string) => boolean;

export function compileExcludes(patterns: readonly unknown[], caseInsensitive = process.platform === 'win32' || process.platform === 'darwin'): PathMatcher {
  const compiled: Array<{ regex: RegExp; nameOnly: boolean }> = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern.trim() === '') continue;
    const clean = pattern.trim().replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\//, '');
    compiled.push({ regex: new RegExp(`^${globToRegExpSource(clean)}$`, caseInsensitive ? 'i' : ''), nameOnly: !clean.includes('/') });
  }
  return (relativePath: string) => {
    const normalized = relativePath.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '');
    if (compiled.length === 0 || normalized === '') return false;
    const segments = normalized.split('/');
    for (const { regex, nameOnly } of compiled) {
      for (let end = segments.length; end >= 1; end--) {
        if (regex.test(segments.slice(0, end).join('/'))) return true;
        if (nameOnly && regex.test(segments[end - 1]!)) return true;
      }
    }
    return false;
  };
}

export function globToRegExpSource(glob: string): string {
  let out = '';
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const slashAfter = glob[i + 2] === '/';
        if (atStart && slashAfter) {
          out += '(?:.*/)?'; // `**/`: any number of folders, including none
          i += 2;
        } else if (atStart && i + 2 === glob.length && i > 0) {
          out = out.slice(0, -1) + '(?:/.*)?'; // trailing `/**`: the folder and everything below
          i += 1;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{') {
      inBraces++;
      out += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      out += ')';
    } else if (c === ',' && inBraces > 0) {
      out += '|';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else {
      out += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return out + ')'.repeat(inBraces);
}
