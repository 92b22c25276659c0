// Entry point of the `nexus-buffer` command line (bundled to dist/cli.js), kept tiny: an agent's
// hook (`push … --from <source>`) goes to the lean hook bundle, dist/hook.js, and every other
// command to the full command line, dist/cli-full.js. Hooks installed by earlier versions run
// this file, so they take the lean path too. The paths are computed, so esbuild keeps the three
// bundles apart (each loads only when needed); a package must ship all three, and dist/core.js,
// the code dist/cli-full.js shares with dist/extension.js.
import * as path from 'node:path';
import { isHookGuest } from './cli/guest';
import { enableCompileCache } from './compileCache';

const argv = process.argv.slice(2);
enableCompileCache();
// Any `--from` (but import's) means "inside an agent": the guest rules apply.
const guest = isHookGuest(argv);
// A computed path on purpose: esbuild then leaves the sibling bundle alone (loaded only when needed).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(bundle: string): T => require(path.join(__dirname, bundle)) as T;
try {
  const handled = guest && load<typeof import('./hook')>('hook.js').runHookProcess(argv);
  if (!handled) load<typeof import('./cliFull')>('cli-full.js').main(argv);
} catch (error) {
  // A bundle missing beside this one (a broken install): one line, exit 1 (never 2, no stack).
  process.stderr.write(`nexus-buffer: ${String((error as Error)?.message ?? error).split('\n')[0]}\n`);
  process.exit(1);
}
