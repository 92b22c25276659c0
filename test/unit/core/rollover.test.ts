// A roll-over into an archive cut short at every write, and the half-done roll-over an earlier
// version could leave (archive written, buffer not emptied): one copy of each entry in the end.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { faults } from '../../../src/core/faults';
import { completeContext, type BufferEntry } from '../../../src/core/schema';
import { serializeSnapshot } from '../../../src/core/snapshot';
import { compact, fileStamp } from '../../../src/core/store';
import { tempDir } from './helpers';

const LIMIT = 10;

function entries(n: number): BufferEntry[] {
  const ts = '2026-06-14T09:12:03Z';
  const context = completeContext({}, { agentType: 'ag', extractionSource: 'cli', now: ts });
  return Array.from({ length: n }, (_, i) => ({ timestamp: ts, context_type: 'checkpoint', context: { ...context, insights: [`i${i}`] }, id: `e${i}` }));
}

const doc = (agentType: string, list: BufferEntry[]) => serializeSnapshot({ started_at: '2026-06-14T09:00:00Z', entries: list, last_flush: null, agent_type: agentType });

let tick = 0;
const compactAg = (dir: string) => compact({
  dir, agentType: 'ag', writerId: 'w1', ownClosedJournals: new Set(), memoryEntries: [], startedAt: '2026-06-14T09:00:00Z',
  maxBufferEntries: LIMIT, maxBufferBytes: 1 << 30, now: () => new Date(Date.UTC(2026, 5, 14, 10, 0, tick++)).toISOString(),
});

/** Ids in the snapshot and in every archive of `ag`, with repeats. */
function idsOnDisk(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((n) => n === 'ag.json' || /^ag\.archive-[0-9TZ]+\.json$/.test(n))
    .flatMap((n) => (JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as { entries: BufferEntry[] }).entries.map((e) => e.id!));
}

afterEach(() => {
  delete faults.beforeWrite;
});

describe('roll-over into an archive', () => {
  for (const failAt of [1, 2]) {
    it(`cut short at its write #${failAt}, then compacted again: each entry once, none lost`, async () => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'ag.json'), doc('ag', entries(LIMIT + 1)));
      let writes = 0;
      faults.beforeWrite = () => {
        if (++writes === failAt) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      };
      await assert.rejects(compactAg(dir));
      delete faults.beforeWrite;
      await compactAg(dir);
      const ids = idsOnDisk(dir);
      assert.equal(new Set(ids).size, LIMIT + 1, 'no entry lost');
      assert.equal(ids.length, LIMIT + 1, `no entry twice (${ids.length})`);
    });
  }

  it('finishes the half-done roll-over of an earlier version instead of repeating it', async () => {
    const dir = tempDir();
    const all = entries(LIMIT + 3);
    const archive = `ag.archive-${fileStamp('2026-06-14T09:30:00.000Z')}`;
    // As the earlier roll-over left it: the archive written, the buffer not emptied, and then
    // two more entries came.
    fs.writeFileSync(path.join(dir, `${archive}.json`), doc(archive, all.slice(0, LIMIT + 1)));
    fs.writeFileSync(path.join(dir, 'ag.json'), doc('ag', all));
    const result = await compactAg(dir);
    assert.equal(result.archive, undefined, 'the buffer is under its limit once the archived entries leave it');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'ag.json'), 'utf8')).entries.map((e: BufferEntry) => e.id), ['e11', 'e12']);
    const ids = idsOnDisk(dir);
    assert.equal(ids.length, LIMIT + 3, 'each entry once across the buffer and its archives');
    assert.equal(new Set(ids).size, LIMIT + 3);
  });

  it('leaves an archive alone that is not the start of the buffer', async () => {
    const dir = tempDir();
    const all = entries(LIMIT + 3);
    const archive = `ag.archive-${fileStamp('2026-06-14T09:30:00.000Z')}`;
    fs.writeFileSync(path.join(dir, `${archive}.json`), doc(archive, all.slice(1, 4)));
    fs.writeFileSync(path.join(dir, 'ag.json'), doc('ag', all));
    const result = await compactAg(dir);
    assert.ok(result.archive, 'rolled over');
    assert.equal(idsOnDisk(dir).length, 3 + LIMIT + 3, 'nothing dropped');
  });
});
