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

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  // `bin` points at the CLI bundle; npm marks bin files executable only when it links them,
  // which on a fresh `npm ci` happens before `prepare` has built the file.
  chmodSync(builds[1].outfile, 0o755);
}
