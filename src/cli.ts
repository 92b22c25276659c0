// Entry point of the `nexus-buffer` command line (bundled to dist/cli.js, the `bin`, and what
// installed hooks run), kept to a line: dist/hook.js (src/hookLoader.ts) loads the hook bundle,
// through a code cache, and sends an agent's hook (`push … --from <source>`) down its lean path
// and every other command to the full command line, dist/cli-full.js (which takes shared code
// from the hook bundle anyway). A package must ship every bundle of dist/.
import * as path from 'node:path';

try {
  // A computed path on purpose: esbuild then leaves the sibling bundle alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(__dirname, 'hook.js'));
} catch (error) {
  // A bundle missing beside this one (a broken install): one line, exit 1 (never 2, no stack).
  process.stderr.write(`nexus-buffer: ${String((error as Error)?.message ?? error).split('\n')[0]}\n`);
  process.exit(1);
}
