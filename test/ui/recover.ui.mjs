// The main UI test (issue 3): buffers written in the crate's format appear in the Buffers view
// with their entry counts, and "Nexus Buffer: Recover Buffer…" opens the picked agent's entries
// rendered (the Markdown preview). Screenshots: buffers-view.png, recovered-entries.png.
import fs from 'node:fs';
import path from 'node:path';
import { sampleBuffer, sampleTag, writeSampleBuffers } from '../harness/sampleBuffers.mjs';
import {
  activityIcon, openViewContainer, quickPickRows, runCommand, TIMEOUT, treeRow, waitForText, waitUntil, widenSideBar,
} from './lib.mjs';

const COUNTS = { 'claude-code': 14, codex: 3, gemini: 1 };

export default async function recoverUiTest(t) {
  const server = await t.startServer();
  writeSampleBuffers(server.bufferDir, COUNTS);
  const page = await t.openWorkbench(server);

  await t.check('the "Nexus Buffer" activity-bar icon appears', () => activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension }));

  await t.check('the Buffers view lists every seeded agent with its entry count', async () => {
    await openViewContainer(page, 'Nexus Buffer');
    await widenSideBar(page);
    for (const [agent, count] of Object.entries(COUNTS)) {
      const row = treeRow(page, agent);
      await row.waitFor({ timeout: TIMEOUT.extension });
      await waitForText(row, `${count} ${count === 1 ? 'entry' : 'entries'}`);
    }
  });
  // The view alone (recovered-entries.png shows it beside the document).
  await t.screenshot(page, 'buffers-view', { publish: true, element: page.locator('.part.sidebar') });

  await t.check('Recover Buffer… from the palette offers the buffers on disk', async () => {
    await runCommand(page, 'Nexus Buffer: Recover Buffer…');
    const rows = quickPickRows(page);
    await rows.filter({ hasText: 'claude-code' }).first().waitFor({ timeout: TIMEOUT.ui });
    const texts = (await rows.allTextContents()).map((s) => s.replace(/\u00a0/g, ' '));
    for (const agent of Object.keys(COUNTS)) {
      if (!texts.some((s) => s.includes(agent))) throw new Error(`no quick pick row for ${agent}: ${JSON.stringify(texts)}`);
    }
  });

  let preview;
  await t.check('picking claude-code opens its entries rendered (the Markdown preview)', async () => {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('claude-code');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'claude-code' }).waitFor({ timeout: TIMEOUT.ui });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: 'Preview claude-code.md' }).waitFor({ timeout: TIMEOUT.ui });
    // The first entry is rendered: its conversation text is in the preview's frame.
    const firstAsk = sampleBuffer('claude-code', 1).entries[0].context.conversation[0].content;
    const found = await waitUntil(async () => {
      for (const frame of page.frames()) {
        if (await frame.locator('h1', { hasText: 'Nexus Buffer: claude-code' }).count().catch(() => 0)) {
          preview = frame;
          return (await frame.locator('body').innerText()).includes(firstAsk);
        }
      }
      return false;
    }, TIMEOUT.ui);
    if (!found) throw new Error(`no Markdown preview shows "${firstAsk}"`);
  });

  await t.check('the rendered document holds every one of the 14 entries (each seeded command found)', async () => {
    const text = await preview.locator('body').innerText();
    const missing = [];
    for (let i = 0; i < COUNTS['claude-code']; i++) if (!text.includes(sampleTag('claude-code', i))) missing.push(sampleTag('claude-code', i));
    if (missing.length) throw new Error(`not in the recovered document: ${missing.join(', ')}`);
  });
  // The document alone: buffers-view.png is the view.
  await t.screenshot(page, 'recovered-entries', { publish: true, element: page.locator('.part.editor') });

  await t.check('after Recover the view still counts 14 entries for claude-code (nothing duplicated)', async () => {
    try {
      await waitForText(treeRow(page, 'claude-code'), '14 entries');
    } catch (e) {
      const onDisk = JSON.parse(fs.readFileSync(path.join(server.bufferDir, 'claude-code.json'), 'utf8')).entries.length;
      throw new Error(`${e.message} (the snapshot on disk holds ${onDisk} entries)`, { cause: e });
    }
  });
}
