// Bundles each entry point into one CommonJS file under dist/ (one file loads much faster
// than hundreds, and the .vsix then ships no node_modules). `--production` minifies and
// drops source maps; `--watch` rebuilds on change.
import { chmodSync } from 'node:fs';
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
//
// dist/extension.js and dist/cli-full.js share most of their code (the core, the agents'
// mappings and installers): that part is bundled once, into dist/core.js, which both require
// (so the .vsix does not carry it twice). The shared part is exactly the modules both bundles
// import, found by a first build of each without output; it is closed under imports (a module
// both reach, both reach what it imports), so each shared module exists once at run time. In
// the two bundles an import of a shared module becomes `require("./core.js").<its id>`.
// dist/hook.js stays on its own: it loads nothing but itself. A package must ship all five.
// (`--watch` finds the shared modules once, at its start: restart it after adding an import
// that makes a module shared, or that module runs twice, once in each copy.)
const extensionBuild = { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] };
const cliFullBuild = { ...common, entryPoints: ['src/cliFull.ts'], outfile: 'dist/cli-full.js' };
const CORE_BUNDLE = 'core.js';

/** The modules (absolute paths) that both the extension and the full command line bundle. */
async function sharedModules() {
  const inputsOf = async (options) => {
    const result = await esbuild.build({ ...options, write: false, metafile: true, minify: false, sourcemap: false, logLevel: 'silent' });
    return new Set(Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')).map((input) => path.resolve(input)));
  };
  const [extension, cli] = await Promise.all([inputsOf(extensionBuild), inputsOf(cliFullBuild)]);
  const entries = new Set([...extensionBuild.entryPoints, ...cliFullBuild.entryPoints].map((entry) => path.resolve(entry)));
  return [...extension].filter((input) => cli.has(input) && !entries.has(input)).sort();
}

/** `src/core/buffer.ts` → `core_buffer`: the name a shared module has in dist/core.js. */
const coreId = (file) => path.relative(path.resolve('src'), file).replace(/\.[cm]?[jt]sx?$/, '').replace(/[^A-Za-z0-9]/g, '_');

/** dist/core.js: every shared module, as `exports.<id>` (its namespace object). */
function coreBuild(shared) {
  return {
    ...common,
    stdin: {
      contents: shared.map((file) => `export * as ${coreId(file)} from ${JSON.stringify(file)};`).join('\n'),
      resolveDir: path.resolve('.'),
      sourcefile: 'src/core-bundle.ts',
      loader: 'ts',
    },
    outfile: `dist/${CORE_BUNDLE}`,
  };
}

/** In dist/extension.js and dist/cli-full.js: a shared module is taken from dist/core.js. */
function fromCoreBundle(shared) {
  const set = new Set(shared);
  return {
    name: 'shared-modules-from-core-bundle',
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.namespace === 'core-bundle') return { path: `./${CORE_BUNDLE}`, external: true };
        if (args.pluginData === 'resolving') return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (resolved.errors.length || !set.has(resolved.path)) return undefined;
        return { path: resolved.path, namespace: 'core-bundle' };
      });
      build.onLoad({ filter: /.*/, namespace: 'core-bundle' }, (args) => ({
        contents: `module.exports = require('./${CORE_BUNDLE}').${coreId(args.path)};`,
        loader: 'js',
      }));
    },
  };
}

const shared = await sharedModules();
const builds = [
  { ...extensionBuild, plugins: [fromCoreBundle(shared)] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/hook.ts'], outfile: 'dist/hook.js', metafile: true, plugins: [withoutInstallers] },
  { ...cliFullBuild, plugins: [fromCoreBundle(shared)] },
  coreBuild(shared),
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
