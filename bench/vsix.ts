// The .vsix size (issue 12, point 5): what `npm run package` makes, made in a temp folder from
// the production bundles of bundle.ts (so dist/ and nexus-buffer.vsix of a developer are left
// alone), with package.json's own vsce command; target: at most 200 KB. What it holds is read
// from the zip's central directory (the compressed size of each file).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { BundleBuild } from './bundle';
import type { Table, Verdict } from './report';
import { formatBytes } from './stats';
import { makeTempDir } from './tempDirs';

/** 200 KB, as vsce counts (1 KB = 1024 bytes). */
export const VSIX_TARGET_BYTES = 200 * 1024;

export interface ZipEntry {
  name: string;
  compressed: number;
  size: number;
}

/** The entries of a zip file, from its central directory (no ZIP64: a .vsix of KBs). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({ name: zip.toString('utf8', at + 46, at + 46 + nameLength), compressed: zip.readUInt32LE(at + 20), size: zip.readUInt32LE(at + 24) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The vsce arguments of package.json's `package` script (`… && vsce package …`), without `-o FILE`. */
export function vsceArgs(packageScript: string): string[] {
  const command = packageScript.split('&&').map((s) => s.trim()).find((s) => s.startsWith('vsce '));
  if (!command) throw new Error(`no vsce command in the package script: ${packageScript}`);
  const words = command.split(/\s+/).slice(1);
  const out = words.indexOf('-o');
  if (out >= 0) words.splice(out, 2);
  return words;
}

const GROUPS: [string, RegExp][] = [
  ['bundles (dist/*.js)', /^extension\/dist\//],
  ['README screenshots (media/screenshots)', /^extension\/media\/screenshots\//],
  ['README, package.json, licence', /^extension\/(readme\.md|package\.json|license\.txt|changelog\.md)$/i],
  ['timeline webview (media/timeline)', /^extension\/media\/timeline\//],
  ['icons', /^extension\/media\/[^/]+$/],
  ['vsce manifest files', /^[^/]+$/],
];

export function vsixFigure(root: string, build: BundleBuild): { table: Table; verdict: Verdict; json: Record<string, unknown> } {
  const figure = '.vsix (npm run package)';
  const target = `<= ${formatBytes(VSIX_TARGET_BYTES)}`;
  if (!build.production) {
    const why = `the production build failed (${build.problem ?? 'unknown'})`;
    return {
      table: { title: 'The .vsix', headers: ['part', 'files', 'in the .vsix'], rows: [], notes: [`not measured: ${why}`] },
      verdict: { figure, target, measured: `not measured: ${why}`, ratio: NaN, meets: false, unmeasured: true },
      json: { unavailable: why },
    };
  }
  // A folder laid out as the project for vsce: the manifest, the README and what it shows, the
  // production dist/.
  const dir = makeTempDir('vsix');
  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
    if (existsSync(path.join(root, file))) copyFileSync(path.join(root, file), path.join(dir, file));
  }
  cpSync(path.join(root, 'media'), path.join(dir, 'media'), { recursive: true });
  cpSync(build.distDir, path.join(dir, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const vsix = path.join(dir, 'nexus-buffer.vsix');
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, ...vsceArgs(manifest.scripts.package), '-o', vsix], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

  const bytes = statSync(vsix).size;
  const entries = zipEntries(readFileSync(vsix));
  const rows: string[][] = [];
  const parts: Record<string, { files: number; compressedBytes: number }> = {};
  // Each file in the first group it matches.
  const groupOf = (e: ZipEntry) => GROUPS.find(([, re]) => re.test(e.name))?.[0];
  for (const [label] of GROUPS) {
    const mine = entries.filter((e) => groupOf(e) === label);
    if (!mine.length) continue;
    const compressed = mine.reduce((sum, e) => sum + e.compressed, 0);
    parts[label] = { files: mine.length, compressedBytes: compressed };
    rows.push([label, String(mine.length), formatBytes(compressed)]);
  }
  const other = entries.filter((e) => !groupOf(e));
  if (other.length) rows.push([`other: ${other.map((e) => e.name).join(', ')}`, String(other.length), formatBytes(other.reduce((s, e) => s + e.compressed, 0))]);
  rows.push(['the .vsix (with the zip headers)', String(entries.length), `${bytes.toLocaleString('en-US')} B (${formatBytes(bytes)})`]);
  const bundles = entries.filter((e) => /^extension\/dist\//.test(e.name)).map((e) => `${path.basename(e.name)} ${formatBytes(e.compressed)}`).join(', ');
  const table: Table = {
    title: `The .vsix: npm run package's vsce command on the production bundles, in a temp folder (target ${target})`,
    headers: ['part', 'files', 'in the .vsix'],
    rows,
    notes: [
      `bundles, compressed: ${bundles}; dist/hook.js and dist/core.js hold the code the extension and the CLI share, once.`,
      'screenshots: written palette-reduced by the UI tests (--update-screenshots), each of the part of the window it shows.',
    ],
  };
  const verdict: Verdict = {
    figure,
    target,
    measured: `${formatBytes(bytes)} (${entries.length} files)`,
    ratio: VSIX_TARGET_BYTES / bytes,
    meets: bytes <= VSIX_TARGET_BYTES,
  };
  return { table, verdict, json: { bytes, targetBytes: VSIX_TARGET_BYTES, meets: verdict.meets, parts, files: entries.map((e) => ({ name: e.name, bytes: e.size, compressedBytes: e.compressed })) } };
}
