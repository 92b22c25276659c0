// Figure 4, bundle sizes: the project's own esbuild.mjs run with --production into a temp
// folder (its `src` a link to ours), so dist/ of a developer build is left alone.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FigureResult, Table } from './report';
import { formatBytes } from './stats';
import { makeTempDir } from './tempDirs';

export interface BundleBuild {
  /** Folder holding extension.js, the CLI bundles (cli.js, hook.js, cli-full.js) and core.js. */
  distDir: string;
  production: boolean;
  problem?: string;
}

/** Builds the production bundles into a temp folder (left for the CLI figure; removed at exit). */
export function buildProductionBundles(root: string): BundleBuild {
  try {
    const dir = makeTempDir('bundle');
    symlinkSync(path.join(root, 'src'), path.join(dir, 'src'), 'dir');
    execFileSync(process.execPath, [path.join(root, 'esbuild.mjs'), '--production'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    return { distDir: path.join(dir, 'dist'), production: true };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { distDir: path.join(root, 'dist'), production: false, problem: (stderr || (error as Error).message).split('\n')[0] };
  }
}

export function bundleFigure(build: BundleBuild): FigureResult {
  const files = ['extension.js', 'cli.js', 'hook.js', 'hook-body.js', 'cli-full.js', 'core.js', 'compactionWorker.js'];
  const sizes: Record<string, { bytes: number; gzip: number }> = {};
  const rows: string[][] = [];
  for (const name of files) {
    const file = path.join(build.distDir, name);
    if (!existsSync(file)) {
      rows.push([`dist/${name}`, 'missing', '']);
      continue;
    }
    const data = readFileSync(file);
    const gzip = gzipSync(data, { level: 9 }).length;
    sizes[name] = { bytes: data.length, gzip };
    rows.push([`dist/${name}`, `${data.length.toLocaleString('en-US')} B (${formatBytes(data.length)})`, `${gzip.toLocaleString('en-US')} B (${formatBytes(gzip)})`]);
  }
  const table: Table = {
    title: `Bundle sizes (${build.production ? 'node esbuild.mjs --production: minified, no source maps' : 'dist/ as built by npm run build (development)'})`,
    headers: ['file', 'size', 'gzip -9'],
    rows,
    notes: build.problem ? [`the production build failed (${build.problem}); sizes are of dist/ instead`] : ['CommonJS, no runtime dependencies; vscode external. A module extension.js and cli-full.js share is in one bundle only: hook.js (those it has) or core.js (the others).'],
  };
  return { name: 'bundle', json: { production: build.production, ...(build.problem ? { problem: build.problem } : {}), files: sizes }, tables: [table], verdicts: [] };
}
