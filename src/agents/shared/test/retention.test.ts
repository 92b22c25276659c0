// The agents' retention sweeps: which session files a sweep will take soon that the buffers do
// not hold yet (issue 10, point 3), and the agents' own settings for it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { claudeRetention } from '../../claude-code/retention';
import { geminiRetention } from '../../gemini/retention';
import type { ImportState } from '../importState';
import { sessionsAtRisk, SWEEP_HORIZON_MS } from '../retention';
import type { RetentionRule, SessionFileInfo } from '../../types';

const DAY = 86_400_000;
const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-retention-'));
  temps.push(dir);
  return dir;
};

const NOW = Date.parse('2026-12-02T00:00:00Z');
const session = (file: string, ageDays: number, bytes = 100, agent = 'claude-code'): SessionFileInfo => ({
  agent, file, sessionId: path.basename(file), project: null, firstPrompt: null,
  startedAt: new Date(NOW - ageDays * DAY).toISOString(), modifiedAt: new Date(NOW - ageDays * DAY).toISOString(), bytes,
});

describe('sessions a sweep will take soon', () => {
  const rules = new Map<string, RetentionRule>([['claude-code', { maxAgeMs: 30 * DAY, setting: 'cleanupPeriodDays 30' }]]);
  const state: ImportState = {
    version: 1,
    files: {
      '/p/mirrored.jsonl': { agent: 'claude-code', sessionId: 'm', offset: 100, line: 3, ino: 1, size: 100, mtimeMs: 0, importedAt: '2026-11-01T00:00:00Z' },
      '/p/grown.jsonl': { agent: 'claude-code', sessionId: 'g', offset: 50, line: 2, ino: 2, size: 50, mtimeMs: 0, importedAt: '2026-11-01T00:00:00Z' },
    },
  };

  it('are those within the horizon of the sweep that are not wholly imported, oldest first', () => {
    const atRisk = sessionsAtRisk([
      session('/p/young.jsonl', 10),
      session('/p/soon.jsonl', 28),
      session('/p/overdue.jsonl', 40),
      session('/p/mirrored.jsonl', 29),
      session('/p/grown.jsonl', 29),
      session('/p/codex.jsonl', 60, 100, 'codex'), // no rule for it
    ], rules, state, NOW);
    assert.deepEqual(atRisk.map((s) => path.basename(s.session.file)), ['overdue.jsonl', 'grown.jsonl', 'soon.jsonl']);
    assert.equal(atRisk[2].deletableAt, NOW - 28 * DAY + 30 * DAY);
    assert.ok(atRisk.every((s) => s.deletableAt <= NOW + SWEEP_HORIZON_MS));
  });
});

describe("the agents' settings", () => {
  it("Claude Code: cleanupPeriodDays in settings.json, 30 days when unset", async () => {
    const dir = tempDir();
    assert.equal((await claudeRetention(dir)).maxAgeMs, 30 * DAY);
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ cleanupPeriodDays: 7 }));
    const rule = await claudeRetention(dir);
    assert.equal(rule.maxAgeMs, 7 * DAY);
    assert.match(rule.setting, /cleanupPeriodDays 7/);
    fs.writeFileSync(path.join(dir, 'settings.json'), '{ not json');
    assert.equal((await claudeRetention(dir)).maxAgeMs, 30 * DAY, 'a settings file that does not parse: the default');
  });

  it('Gemini CLI: sessionRetention.maxAge when set and enabled, no sweep otherwise', async () => {
    const dir = tempDir();
    assert.equal(await geminiRetention(dir), undefined);
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ general: { sessionRetention: { enabled: true, maxAge: '14d' } } }));
    assert.equal((await geminiRetention(dir))?.maxAgeMs, 14 * DAY);
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ sessionRetention: { enabled: false, maxAge: '14d' } }));
    assert.equal(await geminiRetention(dir), undefined);
  });
});
