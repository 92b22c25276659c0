// For the agents' tests (compiled to out/src/agents/<agent>/test/): the source folder of a test,
// where its fixtures stay.
import * as path from 'node:path';

export function sourceDirOf(compiledDir: string): string {
  const out = `${path.sep}out${path.sep}src${path.sep}`;
  const resolved = path.resolve(compiledDir);
  const at = resolved.lastIndexOf(out);
  return at === -1 ? resolved : `${resolved.slice(0, at)}${path.sep}src${path.sep}${resolved.slice(at + out.length)}`;
}

/** The `fixtures` folder beside a compiled test file's source. */
export function fixturesDir(compiledDir: string): string {
  return path.join(sourceDirOf(compiledDir), 'fixtures');
}
