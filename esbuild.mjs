// Bundles each entry point into one CommonJS file under dist/ (one file loads much faster
// than hundreds, and the .vsix then ships no node_modules). `--production` minifies and
// drops source maps; `--watch` rebuilds on change.
import { chmodSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/**
 * The hook bundle needs the agents' mappings from the registry, not their installers (settings
 * files, TOML, diffs: tens of KB per agent, and fs/promises). Each `src/agents/<agent>/index.ts`
 * imports its `./installer` only to set `hooks`, and its `./sessionReader` only to set
 * `sessions` (for `nexus-buffer import`), which the hook path never reads: in dist/hook.js
 * those imports give an empty module (so `hooks` and `sessions` are undefined there). An index.ts
 * that called its installer while loading would make dist/hook.js fail at once, in every test
 * of the hooks.
 */
const withoutInstallers = {
  name: 'hook-bundle-without-installers',
  setup(build) {
    build.onResolve({ filter: /^\.\/(installer|sessionReader)$/ }, (args) =>
      /[\\/]src[\\/]agents[\\/][^\\/]+[\\/]index\.ts$/.test(args.importer) ? { path: args.importer, namespace: 'no-installer' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'no-installer' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

// The command line is three bundles, so that an agent's hook loads only what one event needs:
// dist/cli.js (the `bin`: a few lines that pick one of the others), dist/hook.js (the hooks'
// `push --from`, lean: no compaction, no installer) and dist/cli-full.js (every
// command). The installers point the hooks at dist/hook.js; dist/cli.js sends hooks there too.
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/hook.ts'], outfile: 'dist/hook.js', metafile: true, plugins: [withoutInstallers] },
  { ...common, entryPoints: ['src/cliFull.ts'], outfile: 'dist/cli-full.js' },
  // Compactions of the extension's buffer run on a worker thread (src/core/compactionClient.ts).
  { ...common, entryPoints: ['src/core/compactionWorker.ts'], outfile: 'dist/compactionWorker.js' },
];

/** Modules the hook bundle must not contain: each costs the agent time on every event. */
const NOT_ON_THE_HOOK_PATH = [
  /src\/core\/(schema|buffer|store|lock|journal|snapshot)\.ts$/,
  /src\/agents\/[^/]+\/(installer|sessionReader)\.ts$/,
  /src\/agents\/shared\/(settingsFile|groupsInstaller|hookGroups)\.ts$/,
];

function checkHookBundle(result) {
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  const heavy = inputs.filter((input) => NOT_ON_THE_HOOK_PATH.some((re) => re.test(input)));
  if (heavy.length) throw new Error(`dist/hook.js must stay lean, but it bundles ${heavy.join(', ')} (import type, or leave it to dist/cli-full.js)`);
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  const results = await Promise.all(builds.map((options) => esbuild.build(options)));
  checkHookBundle(results[2]);
  // `bin` points at the CLI bundle; npm marks bin files executable only when it links them,
  // which on a fresh `npm ci` happens before `prepare` has built the file.
  chmodSync(builds[1].outfile, 0o755);
}
