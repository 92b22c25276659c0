#!/usr/bin/env node
// Runs the UI tests: each test/ui/*.ui.mjs drives the real VS Code workbench (a fresh
// code-server with the extension loaded from source, headless chromium) and reports named
// checks. A script's default export receives `t`:
//   t.startServer(options)          a throwaway code-server (see codeServer.mjs), stopped afterwards
//   t.openWorkbench(server, opts)   chromium on the workbench, extension loaded from source; returns the page
//   await t.check(name, fn)         runs one check; a failure ends the script (later checks depend on it)
//   t.screenshot(page, name, {publish, element, colours})  saves test-artifacts/ui/<name>.png (of
//                                   the page, or only of `element`, a locator); a published one is
//                                   also written to media/screenshots/ (for the README) with
//                                   --update-screenshots, when the script passed, in `colours`
//                                   colours (default 16; see publishScreenshot: the .vsix carries them)
//   t.log(...), t.artifactsDir, t.projectRoot
//   t.vscodeVersion                 the VS Code this run is on, e.g. "1.99.3" (every server of the run)
//
//   node test/harness/run-ui.mjs [files...] [--update-screenshots] [--vscode 1.99|current]
// Screenshots are published (copied to media/screenshots/) from the current version only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, projectRoot, startCodeServer } from './codeServer.mjs';
import { TIMEOUT } from '../ui/lib.mjs';
import { resolveVersions } from './tools.mjs';

const SCRIPT_TIMEOUT_MS = Number(process.env.NEXUS_UI_SCRIPT_TIMEOUT_MS ?? 300000);

class CheckFailed extends Error {}

/**
 * Colours of a published screenshot. The README's screenshots ship in the .vsix (no repository
 * URL to point their links at), whose target is 200 KB all told: as 24-bit PNGs they were 400 KB;
 * in 16 colours (4 bits a pixel, no dithering: flat UI, crisp text) a fifth of that, and they
 * read the same. A picture whose colours carry meaning (the timeline's kinds) asks for more.
 */
const PUBLISHED_COLOURS = 16;

/** Writes `file` to `dest` in `colours` colours with Debian's pngquant (setup-tools.sh installs it). */
export function publishScreenshot(file, dest, colours = PUBLISHED_COLOURS) {
  try {
    execFileSync('pngquant', ['--force', '--speed', '1', '--nofs', '--strip', '--output', dest, String(colours), file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const why = error.code === 'ENOENT' ? 'pngquant is not installed (bash test/harness/setup-tools.sh installs it)' : String(error.stderr ?? error.message).trim();
    throw new Error(`could not publish ${path.basename(file)}: ${why}`, { cause: error });
  }
}

export function findUiTests(dir = path.join(projectRoot, 'test', 'ui')) {
  return fs.readdirSync(dir).filter((f) => /\.ui\.m?js$/.test(f)).sort().map((f) => path.join(dir, f));
}

async function runScript(file, { artifactsDir, updateScreenshots, log, version }) {
  const name = path.basename(file).replace(/\.ui\.m?js$/, '');
  const checks = [];
  const cleanups = [];
  const servers = [];
  const pages = [];
  const screenshots = [];
  const t = {
    projectRoot,
    artifactsDir,
    vscodeVersion: version.vscode,
    log: (...args) => log(`    ${args.join(' ')}`),
    async startServer(options = {}) {
      const server = await startCodeServer({ ...options, vscode: version.key });
      servers.push(server);
      cleanups.push(() => server.stop());
      return server;
    },
    async openWorkbench(server, { devPaths = [projectRoot], extensionEnv, folder } = {}) {
      const browser = await launchBrowser();
      cleanups.push(() => browser.close());
      const { page } = browser;
      pages.push(page);
      await page.goto(server.workbenchUrl({ devPaths, extensionEnv, folder }));
      await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT.workbench });
      return page;
    },
    async check(title, fn) {
      const started = Date.now();
      try {
        const value = await fn();
        const ms = Date.now() - started;
        checks.push({ title, ok: true, ms });
        log(`  ✓ ${name}: ${title} (${(ms / 1000).toFixed(1)} s)`);
        return value;
      } catch (e) {
        const ms = Date.now() - started;
        checks.push({ title, ok: false, ms, error: e });
        log(`  ✗ ${name}: ${title} (${(ms / 1000).toFixed(1)} s)\n      ${String(e?.stack ?? e).split('\n').slice(0, 8).join('\n      ')}`);
        throw new CheckFailed(title);
      }
    },
    async screenshot(page, shotName, { publish = false, element, colours } = {}) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      const file = path.join(artifactsDir, `${shotName}.png`);
      // Park the mouse on the empty middle of the status bar: no hover tooltip in the picture.
      const size = page.viewportSize();
      if (size) await page.mouse.move(size.width / 2, size.height - 8);
      await (element ?? page).screenshot({ path: file });
      if (publish) screenshots.push({ file, colours });
      return file;
    },
  };

  let problem;
  const started = Date.now();
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function(t)`);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`script timed out after ${SCRIPT_TIMEOUT_MS / 1000} s`)), SCRIPT_TIMEOUT_MS);
    });
    try {
      await Promise.race([mod.default(t), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    if (!(e instanceof CheckFailed)) problem = e;
  }
  if (problem) {
    // An error outside any check (server start, setup): it counts as a failed check.
    checks.push({ title: 'setup and flow', ok: false, error: problem });
    log(`  ✗ ${name}: ${String(problem?.stack ?? problem).split('\n').slice(0, 8).join('\n      ')}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  if (failed > 0) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: path.join(artifactsDir, `${name}-failure-${i + 1}.png`) }).catch(() => {});
    }
    for (const [i, server] of servers.entries()) {
      const copy = path.join(artifactsDir, `${name}-code-server-${i + 1}.log`);
      fs.copyFileSync(server.logFile, copy);
      log(`  --- ${name}: code-server log (tail; full log in ${path.relative(process.cwd(), copy)}) ---`);
      log(server.logTail(25).split('\n').map((l) => `    ${l}`).join('\n'));
    }
  } else if (checks.length === 0) {
    checks.push({ title: 'at least one check', ok: false, error: new Error('the script ran no check') });
    log(`  ✗ ${name}: the script ran no check`);
  } else if (updateScreenshots) {
    const dest = path.join(projectRoot, 'media', 'screenshots');
    fs.mkdirSync(dest, { recursive: true });
    for (const { file, colours } of screenshots) publishScreenshot(file, path.join(dest, path.basename(file)), colours);
    if (screenshots.length) log(`    screenshots written to media/screenshots/: ${screenshots.map((s) => `${path.basename(s.file)} (${s.colours ?? PUBLISHED_COLOURS} colours)`).join(', ')}`);
  }
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  return { name, checks, seconds: (Date.now() - started) / 1000 };
}

export async function runUi({
  files = findUiTests(),
  vscode = 'current',
  artifactsDir,
  updateScreenshots = process.env.NEXUS_UPDATE_SCREENSHOTS === '1',
  log = console.log,
} = {}) {
  const started = Date.now();
  const [version] = resolveVersions(vscode);
  artifactsDir ??= path.join(projectRoot, 'test-artifacts', `ui-vscode-${version.vscode}`);
  // The README's screenshots show the current VS Code.
  if (version.key !== 'current') updateScreenshots = false;
  let passed = 0;
  let failed = 0;
  const scripts = [];
  for (const file of files) {
    log(`  ${path.relative(projectRoot, file)}`);
    const result = await runScript(file, { artifactsDir, updateScreenshots, log, version });
    passed += result.checks.filter((c) => c.ok).length;
    failed += result.checks.filter((c) => !c.ok).length;
    scripts.push(result);
    log(`    (${result.seconds.toFixed(1)} s)`);
  }
  return { name: `ui (VS Code ${version.vscode})`, passed, failed, ok: failed === 0 && passed > 0, scripts, seconds: (Date.now() - started) / 1000 };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const vscodeAt = args.indexOf('--vscode');
  const vscode = vscodeAt >= 0 ? args.splice(vscodeAt, 2)[1] : undefined;
  const files = args.filter((a) => !a.startsWith('--')).map((f) => path.resolve(f));
  const result = await runUi({
    files: files.length ? files : undefined,
    vscode,
    updateScreenshots: args.includes('--update-screenshots') || undefined,
  });
  console.log(`${result.name}: ${result.seconds.toFixed(1)} s`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.ok ? 0 : 1);
}
