// Figure 7, the workbench (issue 12, point 5): three figures measured in the real VS Code
// (code-server with the extension loaded from source, driven by headless Debian Chromium
// through playwright-core, as the UI tests are; see test/harness/codeServer.mjs):
//   1. activation: the time activate() takes with 10 buffers of 10,000 entries each on disk,
//      as the extension itself measures it (performance.now() at entry and return, said in its
//      log as "Activated in N ms"; VS Code's own figure, in "Developer: Show Running
//      Extensions", cannot be read in code-server);
//   2. expanding a buffer of 100,000 entries in the Buffers view: from the click (the page's
//      mousedown) to the first rows of entries drawn (the frame after they entered the DOM);
//   3. searching 100,000 entries in "Nexus Buffer: Search…" once its first load is done: from
//      the query's input event to the frame after its rows entered the DOM, for a query that
//      matches one old entry only (the index is scanned whole, newest first).
// Each as the median of several tries. Buffers are seeded with the core's snapshot writer,
// entries from fixtures.ts (~2 KB each).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { serializeSnapshotSliced, writeSnapshot } from '../src/core/snapshot';
import type { BufferEntry } from '../src/core/schema';
import { makeEntries, timestampOf } from './fixtures';
import type { FigureResult, Table, Verdict } from './report';
import { formatBytes, formatMs, median, now, round } from './stats';
import { makeTempDir, removeTempDir } from './tempDirs';

const ACTIVATION_TARGET_MS = 20;
const EXPAND_TARGET_MS = 200;
const SEARCH_TARGET_MS = 300;
const ACTIVATION_AGENTS = ['claude-code', 'codex', 'gemini', 'cursor', 'copilot', 'aider', 'cline', 'windsurf', 'amp', 'opencode'];
const ENTRIES_PER_ACTIVATION_BUFFER = 10_000;
const BIG_AGENT = 'claude-code';
const BIG_ENTRIES = 100_000;
/** Entry rows that must be drawn for "rows shown" (the 800 px view fits about 30). */
const ROWS_SHOWN = 10;

// Settings of both servers: no leftover prompt over the view, and a buffer of 100,000 entries
// is allowed (the default maxBufferEntries, 20,000, would roll a growing one over into archives).
const USER_SETTINGS = {
  'nexusBuffer.recoverOnStartup': 'off',
  'nexusBuffer.maxBufferEntries': 1_000_000,
  'nexusBuffer.maxBufferBytes': 2 * 1024 * 1024 * 1024,
  'nexusBuffer.mirrorAgentSessions': 'off',
};

/* eslint-disable @typescript-eslint/no-explicit-any -- the harness and Playwright are untyped .mjs here */
type Page = any;
type Server = any;
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

export interface WorkbenchOptions {
  quick: boolean;
  root: string;
  /** A VS Code of test/harness/vscode-versions.json ("current", "1.99"). */
  vscode: string;
  progress: (s: string) => void;
}

export async function writeBuffer(dir: string, agent: string, from: number, count: number): Promise<number> {
  const entries: BufferEntry[] = [];
  // Made and serialized in slices: 100,000 entries at once would be ~1 GB of objects.
  const parts: string[] = [];
  let length = 0;
  for (let at = 0; at < count; at += 10_000) {
    const slice = makeEntries(from + at, Math.min(10_000, count - at)).map((e) => ({ ...e, context: { ...e.context, agent_type: agent } }));
    entries.length = 0;
    entries.push(...slice);
    const text = await serializeSnapshotSliced({ started_at: timestampOf(from), entries, last_flush: timestampOf(from + count), agent_type: agent });
    // The frame of a slice: its head, entries, tail; only the first head and the last tail are kept.
    const body = text.parts.slice(1, -1);
    if (at === 0) parts.push(text.parts[0]);
    else parts.push(',\n    ');
    parts.push(...body);
    if (at + 10_000 >= count) parts.push(text.parts[text.parts.length - 1]);
  }
  for (const p of parts) length += p.length;
  return writeSnapshot(path.join(dir, `${agent}.json`), { started_at: timestampOf(from), entries: [], last_flush: null, agent_type: agent }, { parts, length });
}

/** "Activated in N ms" lines of the extension's logs (one per extension host that started). */
async function activationLines(userDataDir: string): Promise<Array<{ file: string; ms: number }>> {
  const found: Array<{ file: string; ms: number }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const item of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) await walk(full);
      else if (item.name.endsWith('Nexus Buffer.log')) {
        const text = await fs.readFile(full, 'utf8').catch(() => '');
        for (const m of text.matchAll(/Activated in ([\d.]+) ms/g)) found.push({ file: full, ms: Number(m[1]) });
      }
    }
  };
  await walk(path.join(userDataDir, 'logs'));
  return found;
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * In the page: resolves with the ms from the first `startEvent` on `document` (capture phase) to
 * the frame after `condition` first holds (checked on every DOM change). Returns the promise's name.
 */
async function armTimer(page: Page, name: string, startEvent: string, condition: string): Promise<void> {
  await page.evaluate(`(() => {
    const done = { start: undefined };
    window[${JSON.stringify(name)}] = new Promise((resolve) => {
      const check = () => {
        if (done.start === undefined || done.end !== undefined || !(${condition})) return;
        done.end = performance.now();
        observer.disconnect();
        requestAnimationFrame(() => resolve({ dom: done.end - done.start, frame: performance.now() - done.start }));
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      document.addEventListener(${JSON.stringify(startEvent)}, () => { if (done.start === undefined) { done.start = performance.now(); queueMicrotask(check); } }, { capture: true });
    });
  })()`);
}

async function timerResult(page: Page, name: string, timeoutMs = 60_000): Promise<{ dom: number; frame: number }> {
  return page.evaluate(`Promise.race([window[${JSON.stringify(name)}], new Promise((_, reject) => setTimeout(() => reject(new Error('no result within ${timeoutMs} ms')), ${timeoutMs}))])`);
}

export async function workbenchFigure(options: WorkbenchOptions): Promise<FigureResult> {
  const { quick, root, progress } = options;
  const harness = await importEsm(path.join(root, 'test', 'harness', 'codeServer.mjs'));
  const lib = await importEsm(path.join(root, 'test', 'ui', 'lib.mjs'));
  await fs.access(path.join(root, 'dist', 'extension.js')).catch(() => {
    throw new Error('dist/extension.js is missing: run `npm run build` first');
  });
  const tries = quick ? 3 : 5;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const started = now();
  try {
    // --- 1. activation with 10 buffers of 10,000 entries each ---
    const seedStarted = now();
    const dirA = makeTempDir('workbench-activation');
    cleanups.push(() => removeTempDir(dirA));
    let bytesA = 0;
    for (const [k, agent] of ACTIVATION_AGENTS.entries()) bytesA += await writeBuffer(dirA, agent, k * ENTRIES_PER_ACTIVATION_BUFFER, ENTRIES_PER_ACTIVATION_BUFFER);
    progress(`workbench: seeded ${ACTIVATION_AGENTS.length} buffers of ${ENTRIES_PER_ACTIVATION_BUFFER} entries (${formatBytes(bytesA)}) in ${formatMs(now() - seedStarted)}`);
    const serverA: Server = await harness.startCodeServer({ bufferDir: dirA, userSettings: USER_SETTINGS, vscode: options.vscode });
    cleanups.push(() => serverA.stop());
    const vscodeVersion = String(serverA.vscodeVersion);
    progress(`workbench: VS Code ${vscodeVersion} (code-server ${serverA.codeServerVersion}); activation, ${tries} window loads…`);
    const browserA = await harness.launchBrowser();
    cleanups.push(() => browserA.close());
    const pageA: Page = browserA.page;
    const activations: number[] = [];
    for (let k = 0; k < tries; k++) {
      const before = (await activationLines(serverA.userDataDir)).length;
      await pageA.goto(serverA.workbenchUrl({ devPaths: [root] }));
      await pageA.locator('.monaco-workbench').waitFor({ timeout: lib.TIMEOUT.workbench });
      const lines = await waitFor(async () => {
        const all = await activationLines(serverA.userDataDir);
        return all.length > before ? all : undefined;
      }, 'the extension\'s "Activated in" log line');
      activations.push(lines[lines.length - 1].ms);
      // Let this window's start-up (the listing of the 10 buffers) finish before the next load.
      await lib.openViewContainer(pageA, 'Nexus Buffer');
      for (const agent of ACTIVATION_AGENTS) await lib.waitForText(lib.treeRow(pageA, agent), `${ENTRIES_PER_ACTIVATION_BUFFER} entries`, { timeout: 120_000 });
      progress(`workbench: activation try ${k + 1}: ${formatMs(activations[k])}`);
    }
    await browserA.close();
    await serverA.stop();
    removeTempDir(dirA);

    // --- 2 and 3: one buffer of 100,000 entries ---
    const seedB = now();
    const dirB = makeTempDir('workbench-big');
    cleanups.push(() => removeTempDir(dirB));
    const bytesB = await writeBuffer(dirB, BIG_AGENT, 0, BIG_ENTRIES);
    progress(`workbench: seeded one buffer of ${BIG_ENTRIES} entries (${formatBytes(bytesB)}) in ${formatMs(now() - seedB)}`);
    const serverB: Server = await harness.startCodeServer({ bufferDir: dirB, userSettings: USER_SETTINGS, vscode: options.vscode });
    cleanups.push(() => serverB.stop());
    const browserB = await harness.launchBrowser();
    cleanups.push(() => browserB.close());
    const page: Page = browserB.page;
    await page.goto(serverB.workbenchUrl({ devPaths: [root] }));
    await page.locator('.monaco-workbench').waitFor({ timeout: lib.TIMEOUT.workbench });
    const listStarted = now();
    await lib.openViewContainer(page, 'Nexus Buffer');
    const bigRow = lib.treeRow(page, BIG_AGENT);
    await lib.waitForText(bigRow, `${BIG_ENTRIES} entries`, { timeout: 180_000 });
    const listedMs = now() - listStarted;
    progress(`workbench: the view lists the buffer of ${BIG_ENTRIES} entries (${formatMs(listedMs)} after the view was opened)`);

    const entryRows = `document.querySelectorAll('.part.sidebar .monaco-list-row[aria-level="2"]').length >= ${ROWS_SHOWN}`;
    const noEntryRows = `document.querySelectorAll('.part.sidebar .monaco-list-row[aria-level="2"]').length === 0`;
    const expands: number[] = [];
    for (let k = 0; k < tries; k++) {
      if (k > 0) {
        // Collapse, then Refresh: the tree forgets its entries, so the next expand asks the extension again.
        await bigRow.click();
        await waitFor(() => page.evaluate(noEntryRows), 'the buffer to collapse');
        await lib.runCommand(page, 'Nexus Buffer: Refresh');
        await lib.waitForText(lib.treeRow(page, BIG_AGENT), `${BIG_ENTRIES} entries`, { timeout: 60_000 });
        await new Promise((r) => setTimeout(r, 1000));
      }
      await armTimer(page, '__nexusExpand', 'mousedown', entryRows);
      await lib.treeRow(page, BIG_AGENT).click();
      const { frame } = await timerResult(page, '__nexusExpand');
      expands.push(frame);
      progress(`workbench: expand try ${k + 1}: ${formatMs(frame)}`);
    }

    // Search: the first load (the pick opens, the index is built) is timed once, then each query.
    const searchOpened = now();
    const input = await lib.runCommandAndType(page, 'Nexus Buffer: Search…', '(step 1).');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: '(step 1).' }).first().waitFor({ timeout: 180_000 });
    const firstLoadMs = now() - searchOpened;
    progress(`workbench: search, first load and first query: ${formatMs(firstLoadMs)}`);
    const searches: number[] = [];
    const rowsWith = (text: string) => `[...document.querySelectorAll('.quick-input-widget .monaco-list-row')].some((r) => r.textContent.includes(${JSON.stringify(text)}))`;
    for (let k = 0; k < tries; k++) {
      // A query that matches one entry among the oldest: the whole index is scanned.
      const query = `(step ${17 + 101 * k}).`;
      await input.fill('');
      await waitFor(() => page.evaluate(`document.querySelectorAll('.quick-input-widget .monaco-list-row').length === 0`), 'the hits to clear');
      await armTimer(page, '__nexusSearch', 'input', rowsWith(query));
      await input.fill(query);
      const { frame } = await timerResult(page, '__nexusSearch');
      searches.push(frame);
      progress(`workbench: search try ${k + 1} ("${query}"): ${formatMs(frame)}`);
    }
    await page.keyboard.press('Escape');

    const activation = median(activations);
    const expand = median(expands);
    const search = median(searches);
    const list = (xs: number[]) => xs.map((x) => formatMs(x)).join(', ');
    const tables: Table[] = [{
      title: `Workbench: VS Code ${vscodeVersion} (code-server ${serverB.codeServerVersion}), headless Chromium, median of ${tries} tries`,
      headers: ['figure', 'median', 'tries', 'target'],
      rows: [
        [`activate() with ${ACTIVATION_AGENTS.length} buffers of ${ENTRIES_PER_ACTIVATION_BUFFER.toLocaleString('en-US')} entries (${formatBytes(bytesA)})`, formatMs(activation), list(activations), `< ${ACTIVATION_TARGET_MS} ms`],
        [`expand a buffer of ${BIG_ENTRIES.toLocaleString('en-US')} entries (${formatBytes(bytesB)}), click to rows drawn`, formatMs(expand), list(expands), `< ${EXPAND_TARGET_MS} ms`],
        [`search ${BIG_ENTRIES.toLocaleString('en-US')} entries after the first load, input to rows drawn`, formatMs(search), list(searches), `< ${SEARCH_TARGET_MS} ms`],
        ['  first load of the search (command to first rows)', formatMs(firstLoadMs), '1', ''],
        ['  listing the 100,000-entry buffer after the view opened', formatMs(listedMs), '1', ''],
      ],
      notes: [
        'activate(): measured by the extension itself (performance.now() at entry and return, its log line "Activated in N ms"); a fresh extension host per window load.',
        `expand: from the mousedown on the buffer's row to the frame after ${ROWS_SHOWN} entry rows entered the DOM; try 1 is the first expand, later ones after Refresh (the tree asks again).`,
        'search: from the input event to the frame after the hit row entered the DOM; the query matches one old entry, so the index is scanned whole (includes the pick\'s 80 ms typing delay).',
        ...(quick ? [`--quick: the same buffers (the targets mean the same), ${tries} tries instead of 5.`] : []),
        `took ${formatMs(now() - started)} in all, seeding included`,
      ],
    }];
    const verdict = (figure: string, measured: number, target: number): Verdict => ({
      figure, target: `< ${target} ms`, measured: formatMs(measured), ratio: target / measured, meets: measured < target,
    });
    return {
      name: 'workbench',
      json: {
        vscode: vscodeVersion, codeServer: serverB.codeServerVersion, tries,
        activationMs: round(activation), activationTriesMs: activations.map((x) => round(x)),
        expandMs: round(expand), expandTriesMs: expands.map((x) => round(x)),
        searchMs: round(search), searchTriesMs: searches.map((x) => round(x)), searchFirstLoadMs: round(firstLoadMs),
        seededBytes: { activation: bytesA, big: bytesB },
      },
      tables,
      verdicts: [
        verdict(`activate() with 10 x 10,000 entries (VS Code ${vscodeVersion})`, activation, ACTIVATION_TARGET_MS),
        verdict(`expand 100,000 entries in the Buffers view (VS Code ${vscodeVersion})`, expand, EXPAND_TARGET_MS),
        verdict(`search 100,000 entries, after the first load (VS Code ${vscodeVersion})`, search, SEARCH_TARGET_MS),
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  }
}
