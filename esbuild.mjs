// Bundles each entry point into one CommonJS file under dist/ (one file loads much faster
// than hundreds, and the .vsix then ships no node_modules). `--production` minifies and
// drops source maps; `--watch` rebuilds on change.
import { chmodSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
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
 * `sessions` (for `nexus-buffer import`), which the hook path never reads: in the hook bundle
 * those imports give an empty module (so `hooks` and `sessions` are undefined there). An index.ts
 * that called its installer while loading would make the hook bundle fail at once, in every test
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
// dist/cli.js (the `bin`: a few lines that pick one of the others, and what installed hooks
// run), dist/hook.js (the hooks' `push --from`, lean: no compaction, no installer; its code is
// dist/hook-body.js, which dist/hook.js loads) and dist/cli-full.js (every command).
//
// dist/extension.js and dist/cli-full.js share most of their code (the core, the agents'
// mappings and installers), and much of it is in dist/hook.js too. So that the .vsix carries
// each module once, a shared module is bundled in one place and taken from there:
//  - the hook bundle (dist/hook-body.js, which loads nothing else; taken as dist/hook.js)
//    also exports (as `exports.<id>`, its namespace object) each of its modules that the
//    extension or the full command line imports, but those whose copy differs there (an agent's
//    index.ts without its installer, and what imports one: the registry);
//  - dist/core.js exports the other modules both the extension and the full command line import;
//  - in dist/extension.js, dist/cli-full.js and dist/core.js an import of such a module becomes
//    `require("./hook.js").<id>` or `require("./core.js").<id>`.
// The sets come from a first build of each bundle without output. Each is closed under imports
// (a module both reach, both reach what it imports; a module of the hook whose imports differ
// there differs itself), so each shared module runs once. A package must ship all six bundles
// (the five, and the compaction worker, which takes everything but its own lines from them).
// (`--watch` finds the sets once, at its start: restart it after adding an import that makes a
// module shared, or that module runs twice, once in each copy.)
const extensionBuild = { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] };
const cliFullBuild = { ...common, entryPoints: ['src/cliFull.ts'], outfile: 'dist/cli-full.js' };
const hookBuild = { ...common, entryPoints: ['src/hook.ts'], outfile: 'dist/hook-body.js', metafile: true, plugins: [withoutInstallers] };
const HOOK_BUNDLE = 'hook.js';
const CORE_BUNDLE = 'core.js';

/** Which bundle each shared module (absolute path) is taken from: `hook.js` or `core.js`. */
async function sharedModules() {
  const inputsOf = async (options) =>
    (await esbuild.build({ ...options, write: false, metafile: true, minify: false, sourcemap: false, logLevel: 'silent' })).metafile.inputs;
  const [extension, cli, hook] = await Promise.all([inputsOf(extensionBuild), inputsOf(cliFullBuild), inputsOf(hookBuild)]);
  // The hook's modules that differ from the others' copies: those a plugin made, and what imports one.
  const differs = new Set(Object.keys(hook).filter((input) => input.includes(':')));
  for (let grew = true; grew;) {
    grew = false;
    for (const [input, { imports }] of Object.entries(hook)) {
      if (differs.has(input) || !imports.some((i) => differs.has(i.path))) continue;
      differs.add(input);
      grew = true;
    }
  }
  const files = (inputs, but = new Set()) => new Set(Object.keys(inputs).filter((input) => !input.includes(':') && !but.has(input)).map((input) => path.resolve(input)));
  const [inExtension, inCli, inHook] = [files(extension), files(cli), files(hook, differs)];
  const entries = new Set([extensionBuild, cliFullBuild, hookBuild].map((b) => path.resolve(b.entryPoints[0])));
  const from = new Map();
  for (const file of [...inHook].sort()) if (!entries.has(file) && (inExtension.has(file) || inCli.has(file))) from.set(file, HOOK_BUNDLE);
  for (const file of [...inExtension].sort()) if (!entries.has(file) && inCli.has(file) && !from.has(file)) from.set(file, CORE_BUNDLE);
  return from;
}

/** `src/core/buffer.ts` → `core_buffer`: the name a shared module is exported under. */
const SRC = realpathSync('src'); // esbuild names files by their real path (bench/ links src/)
const moduleId = (file) => path.relative(SRC, file).replace(/\.[cm]?[jt]sx?$/, '').replace(/[^A-Za-z0-9]/g, '_');

/** An entry (esbuild's stdin) that exports each of `files` as its namespace object, after `first`. */
function exportingEntry(files, sourcefile, first) {
  const lines = files.map((file) => `export * as ${moduleId(file)} from ${JSON.stringify(file)};`);
  if (first) lines.unshift(`export * from ${JSON.stringify(path.resolve(first))};`);
  return { stdin: { contents: lines.join('\n'), resolveDir: path.resolve('.'), sourcefile, loader: 'ts' } };
}

/** An import of a shared module becomes `require('./<its bundle>').<its id>`. */
function fromSharedBundles(from) {
  return {
    name: 'shared-modules-from-their-bundle',
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace === 'shared-module') return { path: args.path, external: true };
        if (args.pluginData === 'resolving') return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (resolved.errors.length || !from.has(resolved.path)) return undefined;
        return { path: resolved.path, namespace: 'shared-module' };
      });
      build.onLoad({ filter: /.*/, namespace: 'shared-module' }, (args) => ({
        contents: `module.exports = require('./${from.get(args.path)}').${moduleId(args.path)};`,
        loader: 'js',
      }));
    },
  };
}

const from = await sharedModules();
const taken = (bundle) => [...from].filter(([, b]) => b === bundle).map(([file]) => file);
const builds = [
  { ...extensionBuild, plugins: [fromSharedBundles(from)] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...hookBuild, entryPoints: undefined, ...exportingEntry(taken(HOOK_BUNDLE), 'src/hook-bundle.ts', hookBuild.entryPoints[0]) },
  // dist/hook.js: what the others require for the hook bundle's modules, a few lines that load
  // dist/hook-body.js (from a code cache in a hook process: src/hookLoader.ts).
  { ...common, entryPoints: ['src/hookLoader.ts'], outfile: `dist/${HOOK_BUNDLE}` },
  { ...cliFullBuild, plugins: [fromSharedBundles(from)] },
  { ...common, ...exportingEntry(taken(CORE_BUNDLE), 'src/core-bundle.ts'), outfile: `dist/${CORE_BUNDLE}`, plugins: [fromSharedBundles(new Map(taken(HOOK_BUNDLE).map((f) => [f, HOOK_BUNDLE])))] },
  // Compactions of the extension's buffer run on a worker thread (src/core/compactionClient.ts):
  // a few lines of its own, the store and what it needs taken from dist/core.js and dist/hook.js.
  { ...common, entryPoints: ['src/core/compactionWorker.ts'], outfile: 'dist/compactionWorker.js', plugins: [fromSharedBundles(from)] },
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
  if (heavy.length) throw new Error(`dist/hook-body.js must stay lean, but it bundles ${heavy.join(', ')} (import type, or leave it to dist/cli-full.js)`);
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
