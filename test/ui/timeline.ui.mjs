// The timeline and the search in the real workbench (issue 12): "Show Timeline" draws one lane
// per kind and one mark per entry of a seeded buffer, the kind filter hides a lane's marks, a
// click opens the entry's details, an entry appended while the panel is open appears in it;
// "Search…" finds a seeded command and Enter shows it in the timeline; "Show Buffer Entries"
// opens the rendered document (the Markdown preview). Screenshots: timeline.png, search.png.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sampleBuffer, sampleCommand } from '../harness/sampleBuffers.mjs';
import { activityIcon, quickPickRows, retryOnce, runCommand, runCommandAndType, TIMEOUT, waitUntil } from './lib.mjs';

const AGENT = 'claude-code';
const COUNT = 14;
const LANES = ['session', 'prompt', 'tool', 'file', 'error', 'decision', 'subagent', 'compaction'];

/** Three sessions (the first ended cleanly, the last interrupted), each entry of one kind. */
function seededBuffer(base) {
  const data = sampleBuffer(AGENT, COUNT, { base });
  const kinds = ['session-start', 'prompt', 'tool-use', 'checkpoint', 'session-end', 'session-start', 'prompt', 'error',
    'tool-use', 'extraction', 'subagent-stop', 'compact', 'prompt', 'tool-use'];
  data.entries.forEach((entry, i) => {
    const ctx = entry.context;
    entry.context_type = kinds[i];
    ctx.session_id = ['a1b2c3d4-0000-4000-8000-000000000001', 'b2c3d4e5-0000-4000-8000-000000000002', 'c3d4e5f6-0000-4000-8000-000000000003'][i < 5 ? 0 : i < 10 ? 1 : 2];
    const keep = {
      'session-start': [], 'session-end': [], prompt: ['conversation'], 'tool-use': ['commands_run'], checkpoint: ['files'],
      error: ['errors', 'commands_run'], extraction: ['decisions', 'insights'], 'subagent-stop': ['subagent_executions'], compact: [],
    }[kinds[i]];
    for (const field of ['conversation', 'decisions', 'files', 'tasks', 'insights', 'errors', 'subagent_executions', 'commands_run']) {
      if (!keep.includes(field)) ctx[field] = [];
    }
    if (kinds[i] === 'error') ctx.errors = [{ error_type: 'command_failed', message: `${sampleCommand(AGENT, i)} exited with code 1`, stack_trace: null, timestamp: entry.timestamp }];
    if (kinds[i] === 'subagent-stop') ctx.subagent_executions = [{ subagent_type: 'Explore', task: 'Find where uploads are retried', status: 'completed', started_at: entry.timestamp, completed_at: entry.timestamp, result_summary: 'src/upload/client.ts' }];
  });
  return data;
}

/** The timeline's document: the webview's inner frame that holds #lanes. */
async function timelineFrame(page) {
  let found;
  const ok = await waitUntil(async () => {
    for (const frame of page.frames()) {
      if (await frame.$('#lanes .lane').catch(() => null)) {
        found = frame;
        return true;
      }
    }
    return false;
  }, TIMEOUT.extension);
  if (!ok) throw new Error(`no webview frame with the timeline's lanes among ${page.frames().map((f) => f.url().slice(0, 80)).join(', ')}`);
  return found;
}

async function markCount(frame) {
  return frame.locator('#lanes .mark').count();
}

export default async function timelineUiTest(t) {
  const server = await t.startServer();
  // Entries of the last hour, so that the one appended now lands in the same picture.
  const base = Date.now() - 45 * 60000;
  fs.mkdirSync(server.bufferDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(server.bufferDir, `${AGENT}.json`), JSON.stringify(seededBuffer(base), null, 2), { mode: 0o600 });
  fs.writeFileSync(path.join(server.bufferDir, 'codex.json'), JSON.stringify(sampleBuffer('codex', 3, { base }), null, 2), { mode: 0o600 });
  const page = await t.openWorkbench(server);
  await t.check('the extension is loaded', () => activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension }));

  let frame;
  await t.check('Show Timeline draws every lane and one mark per entry', async () => {
    await runCommand(page, 'Nexus Buffer: Show Timeline');
    const row = quickPickRows(page).filter({ hasText: AGENT }).first();
    await row.waitFor({ timeout: TIMEOUT.ui });
    await row.click();
    frame = await timelineFrame(page);
    for (const lane of LANES) await frame.locator(`#lanes .lane-${lane}`).waitFor({ timeout: TIMEOUT.ui });
    if (!(await waitUntil(async () => (await markCount(frame)) === COUNT, TIMEOUT.ui))) {
      throw new Error(`expected ${COUNT} marks, the timeline shows ${await markCount(frame)}`);
    }
    const errors = await frame.locator('#lanes .lane-error .mark').count();
    if (errors !== 1) throw new Error(`expected 1 mark in the errors lane, found ${errors}`);
    const sessions = await frame.locator('#sessions .session').count();
    if (sessions !== 3) throw new Error(`expected 3 session bars, found ${sessions}`);
    if ((await frame.locator('#sessions .session.interrupted').count()) !== 2) throw new Error('expected two sessions marked as interrupted (no session-end)');
  });

  await t.check('unticking the Errors kind hides the errors lane and its mark', async () => {
    await frame.locator('#lane-filter input[data-lane="error"]').uncheck();
    await frame.locator('#lanes .lane-error').waitFor({ state: 'detached', timeout: TIMEOUT.ui });
    if (!(await waitUntil(async () => (await markCount(frame)) === COUNT - 1, TIMEOUT.ui))) {
      throw new Error(`expected ${COUNT - 1} marks with errors hidden, found ${await markCount(frame)}`);
    }
    await frame.locator('#lane-filter input[data-lane="error"]').check();
    await frame.locator('#lanes .lane-error .mark').waitFor({ timeout: TIMEOUT.ui });
  });

  await t.check('unticking a session hides its entries', async () => {
    await frame.locator('#session-filter input[data-session="0"]').uncheck();
    if (!(await waitUntil(async () => (await markCount(frame)) === COUNT - 5, TIMEOUT.ui))) {
      throw new Error(`expected ${COUNT - 5} marks with the first session hidden, found ${await markCount(frame)}`);
    }
    await frame.locator('#session-filter input[data-session="0"]').check();
    await waitUntil(async () => (await markCount(frame)) === COUNT, TIMEOUT.ui);
  });

  await t.check('a click on a mark opens its details, with Copy as Prompt from here', async () => {
    const command = sampleCommand(AGENT, 2);
    const mark = frame.locator('#lanes .lane-tool .mark').first();
    const label = await mark.getAttribute('aria-label');
    if (!label?.includes(command)) throw new Error(`the first tool mark is labelled "${label}", not with its command ${command}`);
    await mark.click();
    await frame.locator('#details:not([hidden])').waitFor({ timeout: TIMEOUT.ui });
    await frame.locator('#details-body', { hasText: command }).waitFor({ timeout: TIMEOUT.ui });
    await frame.locator('#copy-from').waitFor({ timeout: TIMEOUT.ui });
  });

  await t.check('an entry appended while the timeline is open appears in it', async () => {
    const cli = path.join(t.projectRoot, 'dist', 'cli.js');
    execFileSync(process.execPath, [cli, 'push', AGENT, '--type', 'tool-use', '--dir', server.bufferDir], {
      input: JSON.stringify({ commands_run: ['npm run lint -- --tag appended-live'] }),
      env: { ...process.env, NEXUS_BUFFER_DIR: server.bufferDir },
    });
    if (!(await waitUntil(async () => (await markCount(frame)) === COUNT + 1, TIMEOUT.extension))) {
      throw new Error(`expected ${COUNT + 1} marks after the push, found ${await markCount(frame)}`);
    }
    await frame.locator('#lanes .lane-tool .mark[aria-label*="appended-live"]').waitFor({ timeout: TIMEOUT.ui });
  });
  // The editor alone, in enough colours to tell the kinds apart.
  await t.screenshot(page, 'timeline', { publish: true, element: page.locator('.part.editor'), colours: 24 });

  await t.check('Search… finds a seeded command as one types, Enter shows it in the timeline', () => retryOnce(page, async (timeout) => {
    const wanted = sampleCommand(AGENT, 8);
    const input = await runCommandAndType(page, 'Nexus Buffer: Search…', 'tag claude-code-entry-09', { timeout });
    const row = quickPickRows(page).filter({ hasText: wanted }).first();
    await row.waitFor({ timeout });
    const texts = (await quickPickRows(page).allTextContents()).map((s) => s.replace(/\u00a0/g, ' '));
    if (!texts.some((s) => s.includes(AGENT) && s.includes('command'))) throw new Error(`the row does not say agent and field: ${JSON.stringify(texts)}`);
    await input.fill('claude-code-entry', { timeout });
    await quickPickRows(page).nth(3).waitFor({ timeout });
    // Newest first: the last seeded command (entry 14) leads, whatever the quick pick's own sorting.
    const first = (await quickPickRows(page).first().textContent()).replace(/\u00a0/g, ' ');
    if (!first.includes(sampleCommand(AGENT, 13))) throw new Error(`the newest hit is not first; the first row reads "${first}"`);
    // The quick pick alone: the timeline behind it is timeline.png.
    await t.screenshot(page, 'search', { publish: true, element: page.locator('.quick-input-widget') });
    await input.fill('tag claude-code-entry-09', { timeout });
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: wanted }).waitFor({ timeout });
    await page.keyboard.press('Enter');
    frame = await timelineFrame(page);
    await frame.locator('#details:not([hidden]) #details-body', { hasText: wanted }).waitFor({ timeout });
  }));

  await t.check('Show Buffer Entries opens the rendered document, grouped by session', async () => {
    await runCommandAndType(page, 'Nexus Buffer: Show Buffer Entries', AGENT);
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: AGENT }).waitFor({ timeout: TIMEOUT.ui });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: `Preview ${AGENT}.md` }).waitFor({ timeout: TIMEOUT.ui });
    let preview;
    const ok = await waitUntil(async () => {
      for (const f of page.frames()) {
        if (await f.locator('h1', { hasText: `Nexus Buffer: ${AGENT}` }).count().catch(() => 0)) {
          preview = f;
          return true;
        }
      }
      return false;
    }, TIMEOUT.ui);
    if (!ok) throw new Error('no Markdown preview frame shows the buffer');
    const text = await preview.locator('body').innerText();
    if (text.includes('\\`')) throw new Error('the rendered document shows escaped backticks');
    for (const heading of ['Sessions', 'Session 1', 'Session 3']) {
      if (!(await preview.locator('h2, h3', { hasText: heading }).count())) throw new Error(`no "${heading}" heading in the rendered document`);
    }
    if (!(await preview.locator('a[href^="#"]').count())) throw new Error('the rendered document has no table of contents');
    if (!text.includes('a1b2c3d4-0000-4000-8000-000000000001')) throw new Error('the first session\'s id is not in the rendered document');
  });
}
