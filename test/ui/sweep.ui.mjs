// Warn before an agent's retention sweep (issue 10, point 3), in the real workbench: a Claude
// Code transcript 29 days old (its sweep takes 30), never imported, is named once at start-up
// with "Mirror Them Now"; the action copies it into the claude-code buffer, and from then on
// the mirror (issue 10, point 2) copies what the agent appends.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activityIcon, quickPickRows, runCommand, showNotifications, TIMEOUT, textOf, waitUntil } from './lib.mjs';

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
  // The mirror looks every second here (every minute by default).
  const server = await t.startServer({ runDir, env: { CLAUDE_CONFIG_DIR: claudeDir, NEXUS_MIRROR_INTERVAL_MS: '1000' } });
  const page = await t.openWorkbench(server);
  await t.check('the extension is loaded', () => activityIcon(page, 'Nexus Buffer').waitFor({ timeout: TIMEOUT.extension }));

  const item = await t.check('a notification says Claude Code will delete 1 session not in Nexus Buffer yet', async () => {
    // The warning comes a few seconds after start-up: look again until it is in the center.
    let found;
    const seen = await waitUntil(async () => {
      await runCommand(page, 'Notifications: Hide Notifications').catch(() => undefined);
      const items = await showNotifications(page);
      found = items.filter({ hasText: 'will delete 1 session' }).first();
      return (await found.count()) > 0;
    }, TIMEOUT.extension);
    await (seen ? found.waitFor({ timeout: TIMEOUT.ui }) : Promise.reject(new Error('no such notification'))).catch((error) => {
      // Say what the extension logged, so that a failure here explains itself.
      const logs = fs.readdirSync(server.userDataDir, { recursive: true }).filter((f) => /Nexus Buffer\.log$/.test(String(f)));
      const said = logs.map((f) => fs.readFileSync(path.join(server.userDataDir, String(f)), 'utf8')).join('\n').split('\n').slice(-15).join('\n');
      throw new Error(`${error.message}\nthe extension's log ends:\n${said}`);
    });
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
    return imported.length;
  });

  await t.check('having said yes, a line the agent appends is mirrored, and the session outlives its file', async () => {
    const cli = path.join(t.projectRoot, 'dist', 'cli.js');
    const prompts = () => {
      const shown = spawnSync(process.execPath, [cli, 'show', 'claude-code', '--json', '--dir', server.bufferDir], { encoding: 'utf8' });
      return shown.status === 0 ? JSON.parse(shown.stdout).entries.flatMap((e) => e.context.conversation.map((m) => m.content)) : [];
    };
    const line = {
      parentUuid: null, isSidechain: false, type: 'user', message: { role: 'user', content: 'one more thing, mirrored' },
      uuid: '0e4f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b', timestamp: new Date().toISOString(), sessionId: '827221e7-420c-4134-8c59-49f6683859d2', cwd: '/work/demo',
    };
    fs.appendFileSync(transcript, `${JSON.stringify(line)}\n`);
    if (!(await waitUntil(async () => prompts().includes('one more thing, mirrored'), TIMEOUT.extension))) throw new Error('the appended prompt was not mirrored');
    fs.rmSync(transcript);
    if (!prompts().includes('one more thing, mirrored')) throw new Error('the mirrored session went with its file');
  });

  await t.check('"Restore Session File…" writes the lost transcript back where claude --resume looks', async () => {
    const lines = fs.readFileSync(path.join(t.projectRoot, 'src', 'agents', 'claude-code', 'test', 'fixtures', 'sessions', 'real-session.jsonl'), 'utf8');
    await runCommand(page, 'Nexus Buffer: Restore Session File…');
    const row = quickPickRows(page).filter({ hasText: '827221e7-420c-4134-8c59-49f6683859d2' }).first();
    await row.waitFor({ timeout: TIMEOUT.ui });
    await row.click();
    // Into the project folder of the session's own working directory (Claude Code's naming).
    const written = () => fs.readdirSync(path.join(claudeDir, 'projects'), { recursive: true })
      .map(String).find((f) => f.endsWith('827221e7-420c-4134-8c59-49f6683859d2.jsonl'));
    if (!(await waitUntil(async () => written() !== undefined, TIMEOUT.ui))) throw new Error('the transcript was not written back');
    const uuids = (text) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l).uuid).filter(Boolean);
    // The prompts and answers (the reminder lines Claude Code attaches are not kept) and the mirrored line.
    const said = lines.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.uuid && (l.type === 'user' || l.type === 'assistant')).map((l) => l.uuid);
    // The file appears when it is created and is filled after: read it once the write has ended
    // (its last line complete), or when the wait is over.
    const read = () => fs.readFileSync(path.join(claudeDir, 'projects', written()), 'utf8');
    await waitUntil(async () => read().endsWith('\n') && uuids(read()).length >= said.length + 1, TIMEOUT.ui);
    const restored = read();
    t.log(`written back to projects/${written()}`);
    for (const uuid of [...said, '0e4f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b']) {
      if (!uuids(restored).includes(uuid)) throw new Error(`line ${uuid} is not in the restored file`);
    }
    t.log(`restored ${uuids(restored).length} lines`);
  });
}
