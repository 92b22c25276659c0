// The crash test in the real VS Code (issue 4): entries buffered through the extension's API
// are acknowledged, the extension host process is killed with SIGKILL (no deactivate, no
// flush), the window is reloaded, and then the leftover notification names the agent and
// every acknowledged entry, and Recover shows each of them.
//
// The entries are buffered by a small fixture extension (fixtures/api-driver-extension) whose
// command calls the Nexus Buffer API like another extension would. It is installed into the
// server's extensions folder: code-server's payload URL keeps only one extensionDevelopmentPath.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  activityIcon, runCommand, runCommandAndType, showNotifications, TIMEOUT, textOf, waitUntil,
} from './lib.mjs';

const AGENT = 'crash-test';
const ENTRY_COUNT = 20;

export default async function crashUiTest(t) {
  // The driver's settings reach the extension host through the server's environment (1.99's
  // web workbench ignores the payload's extensionEnvironment). The server deletes its runDir.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-vscode-'));
  const markerDir = path.join(runDir, 'marker');
  fs.mkdirSync(markerDir);
  const markerFile = path.join(markerDir, 'acknowledged.json');
  const server = await t.startServer({
    runDir,
    env: { NEXUS_TEST_MARKER_DIR: markerDir, NEXUS_TEST_AGENT: AGENT, NEXUS_TEST_ENTRY_COUNT: String(ENTRY_COUNT) },
  });
  const driverSource = path.join(t.projectRoot, 'test', 'ui', 'fixtures', 'api-driver-extension');
  fs.cpSync(driverSource, path.join(server.extensionsDir, 'nexus-test.api-driver-0.0.1'), { recursive: true });
  const page = await t.openWorkbench(server);

  await t.check('the extension is loaded', () => activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension }));

  const marker = await t.check(`${ENTRY_COUNT} entries buffered through the extension API are acknowledged`, async () => {
    await runCommand(page, 'Nexus Test: Buffer Entries');
    if (!(await waitUntil(async () => fs.existsSync(markerFile), TIMEOUT.extension))) {
      throw new Error('the driver extension wrote no marker (did its command run?)');
    }
    const value = JSON.parse(fs.readFileSync(markerFile, 'utf8'));
    if (value.error) throw new Error(`bufferContext failed: ${value.error}`);
    const ids = new Set(value.acknowledged.map((e) => e.id));
    if (value.acknowledged.length !== ENTRY_COUNT || ids.size !== ENTRY_COUNT || ids.has(undefined)) {
      throw new Error(`expected ${ENTRY_COUNT} distinct acknowledged ids, got ${JSON.stringify(value.acknowledged)}`);
    }
    return value;
  });

  await t.check('the extension host process is killed with SIGKILL', async () => {
    const hosts = server.processes('--type=extensionHost');
    if (!hosts.some((h) => h.pid === marker.pid)) {
      throw new Error(`the API ran in pid ${marker.pid}, not among the extension hosts ${JSON.stringify(hosts.map((h) => h.pid))}`);
    }
    process.kill(marker.pid, 'SIGKILL');
    if (!(await waitUntil(async () => !server.processes('--type=extensionHost').some((h) => h.pid === marker.pid), 10000))) {
      throw new Error(`pid ${marker.pid} still alive after SIGKILL`);
    }
  });

  await t.check('after Reload Window a new extension host starts', async () => {
    await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT.workbench });
    if (!(await waitUntil(async () => server.processes('--type=extensionHost').some((h) => h.pid !== marker.pid), TIMEOUT.extension))) {
      throw new Error('no new extension host after the reload');
    }
    await activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension });
  });

  await t.check(`the leftover notification names ${AGENT} and its ${ENTRY_COUNT} entries`, async () => {
    const items = await showNotifications(page);
    const item = items.filter({ hasText: AGENT }).first();
    await item.waitFor({ timeout: TIMEOUT.extension });
    const text = await textOf(item.locator('.notification-list-item-message'));
    if (!/earlier session/i.test(text) || !new RegExp(`\\b${ENTRY_COUNT}\\b`).test(text)) {
      throw new Error(`notification reads "${text}"; expected "earlier session" and ${ENTRY_COUNT} entries`);
    }
    t.log(`notification: ${text.trim()}`);
  });
  await t.screenshot(page, 'crash-leftover-notification');

  await t.check('Recover shows every acknowledged entry', async () => {
    await page.keyboard.press('Escape'); // close the notification center
    await runCommandAndType(page, 'Nexus Buffer: Recover Buffer…', AGENT);
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: AGENT }).waitFor({ timeout: TIMEOUT.ui });
    await page.keyboard.press('Enter');
    // Recover opens the rendered document: the Markdown preview, whose frame holds the text.
    await page.locator('.tabs-container .tab.active', { hasText: `Preview ${AGENT}.md` }).waitFor({ timeout: TIMEOUT.ui });
    let text = '';
    await waitUntil(async () => {
      for (const frame of page.frames()) {
        if (await frame.locator('h1', { hasText: `Nexus Buffer: ${AGENT}` }).count().catch(() => 0)) {
          text = await frame.locator('body').innerText();
          return true;
        }
      }
      return false;
    }, TIMEOUT.ui);
    // The Markdown rendering shows each entry's id (src/core/render.ts).
    const missing = marker.acknowledged.filter(({ id }) => !text.includes(id)).map(({ id, tag }) => `${id} (${tag})`);
    if (missing.length) throw new Error(`acknowledged but not recovered: ${missing.join(', ')}`);
  });
  await t.screenshot(page, 'crash-recovered');
}
