// Warn before an agent's retention sweep (issue 10, point 3), in the real workbench: a Claude
// Code transcript 29 days old (its sweep takes 30), never imported, is named once at start-up
// with "Mirror Them Now"; the action copies it into the claude-code buffer.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activityIcon, showNotifications, TIMEOUT, textOf, waitUntil } from './lib.mjs';

const DAY = 86_400_000;

export default async function sweepUiTest(t) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-vscode-'));
  // A Claude Code of its own (CLAUDE_CONFIG_DIR), with one real transcript, 29 days untouched.
  const claudeDir = path.join(runDir, 'claude');
  const project = path.join(claudeDir, 'projects', '-work-demo');
  fs.mkdirSync(project, { recursive: true });
  const transcript = path.join(project, '827221e7-420c-4134-8c59-49f6683859d2.jsonl');
  fs.copyFileSync(path.join(t.projectRoot, 'src', 'agents', 'claude-code', 'test', 'fixtures', 'sessions', 'real-session.jsonl'), transcript);
  const old = new Date(Date.now() - 29 * DAY);
  fs.utimesSync(transcript, old, old);
  const server = await t.startServer({ runDir, env: { CLAUDE_CONFIG_DIR: claudeDir } });
  const page = await t.openWorkbench(server);
  await t.check('the extension is loaded', () => activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension }));

  const item = await t.check('a notification says Claude Code will delete 1 session not in Nexus Buffer yet', async () => {
    const items = await showNotifications(page);
    const found = items.filter({ hasText: 'will delete 1 session' }).first();
    await found.waitFor({ timeout: TIMEOUT.extension });
    const text = await textOf(found.locator('.notification-list-item-message'));
    if (!/Claude Code/.test(text) || !/cleanupPeriodDays/.test(text)) throw new Error(`notification reads "${text}"`);
    t.log(`notification: ${text.trim()}`);
    return found;
  });

  await t.check('"Mirror Them Now" copies the session into the claude-code buffer', async () => {
    await item.getByRole('button', { name: 'Mirror Them Now' }).click();
    const cli = path.join(t.projectRoot, 'dist', 'cli.js');
    const entries = () => {
      const shown = spawnSync(process.execPath, [cli, 'show', 'claude-code', '--json', '--dir', server.bufferDir], { encoding: 'utf8' });
      return shown.status === 0 ? JSON.parse(shown.stdout).entries : [];
    };
    if (!(await waitUntil(async () => entries().length > 0, TIMEOUT.extension))) throw new Error('nothing reached the claude-code buffer');
    const imported = entries();
    if (!imported.every((e) => e.context.extraction_source === 'native' && e.context.session_id === '827221e7-420c-4134-8c59-49f6683859d2')) {
      throw new Error(`unexpected entries: ${JSON.stringify(imported.slice(0, 2))}`);
    }
    t.log(`${imported.length} entries mirrored`);
  });
}
