// PersistentBuffer against the crate's own test scenarios, plus what the crate leaves out
// (periodic flush, auto-flush threshold, durable acknowledgement).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { type BufferError } from '../../../src/core/errors';
import { parseSnapshot } from '../../../src/core/snapshot';
import { bufferFiles, tempDir } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withBuffer<T>(options: ConstructorParameters<typeof PersistentBuffer>[0], fn: (b: PersistentBuffer) => Promise<T>): Promise<T> {
  const buffer = new PersistentBuffer(options);
  try {
    return await fn(buffer);
  } finally {
    await buffer.dispose();
  }
}

describe('PersistentBuffer: the crate scenarios', () => {
  it('keeps entries of one agent out of another', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      await b.bufferContext('claude-code', { insights: ['for claude'] }, 'checkpoint');
      await b.bufferContext('codex', { insights: ['for codex'] }, 'checkpoint');
      await b.bufferContext('codex', { insights: ['for codex again'] }, 'checkpoint');
      assert.deepEqual(b.entries('claude-code').map((e) => e.context.insights[0]), ['for claude']);
      assert.deepEqual(b.entries('codex').map((e) => e.context.insights[0]), ['for codex', 'for codex again']);
      const claude = await b.read('claude-code');
      assert.equal(claude?.data.entries.length, 1);
      assert.ok(claude?.data.entries.every((e) => e.context.agent_type === 'claude-code'));
    });
  });

  it('keeps context types through flush and recover', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      for (const type of ['session-start', 'tool-use', 'compact', 'session-end']) await b.bufferContext('gemini', {}, type);
      await b.flush('gemini', { compact: true });
    });
    await withBuffer({ dir }, async (b) => {
      const recovered = await b.recover('gemini');
      assert.deepEqual(recovered?.data.entries.map((e) => e.context_type), ['session-start', 'tool-use', 'compact', 'session-end']);
    });
  });

  it('clear removes memory and disk', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      await b.bufferContext('codex', { commands_run: ['make'] });
      await b.flush('codex', { compact: true });
      assert.ok(fs.existsSync(path.join(dir, 'codex.json')));
      await b.clear('codex');
      assert.deepEqual(b.entries('codex'), []);
      assert.equal(await b.hasBuffer('codex'), false);
      assert.deepEqual(bufferFiles(dir).filter((n) => n.startsWith('codex')), []);
    });
  });

  it('flushAll writes every agent', async () => {
    const dir = tempDir();
    await withBuffer({ dir, durability: 'off' }, async (b) => {
      await b.bufferContext('a1', {});
      await b.bufferContext('a2', {});
      assert.deepEqual(bufferFiles(dir).filter((n) => n.endsWith('.json')), []);
      await b.flushAll();
      assert.deepEqual(bufferFiles(dir).filter((n) => n.endsWith('.json')), ['a1.json', 'a2.json']);
    });
  });

  it('a second instance recovers what the first flushed', async () => {
    const dir = tempDir();
    let ids: string[] = [];
    await withBuffer({ dir }, async (b) => {
      ids = [(await b.bufferContext('qwen', { decisions: [{ summary: 'use sqlite', timestamp: '2026-01-01T00:00:00Z' }] })).id!];
      ids.push((await b.bufferContext('qwen', {})).id!);
      await b.flush('qwen');
    });
    await withBuffer({ dir }, async (b) => {
      const recovered = await b.recover('qwen');
      assert.deepEqual(recovered?.data.entries.map((e) => e.id), ids);
      assert.equal(recovered?.data.entries[0].context.decisions[0].summary, 'use sqlite');
      assert.equal(b.entries('qwen').length, 2, 'recovered entries are adopted into memory');
    });
  });

  it('counts entries written by the crate (no ids) once after they were recovered into memory', async () => {
    const dir = tempDir();
    const crate = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'core', 'fixtures', 'crate-every-field.json'), 'utf8');
    fs.writeFileSync(path.join(dir, 'claude-code.json'), crate);
    await withBuffer({ dir }, async (b) => {
      assert.equal((await b.status('claude-code'))?.entriesCount, 2);
      await b.recover('claude-code');
      assert.equal((await b.status('claude-code'))?.entriesCount, 2);
      assert.equal((await b.read('claude-code'))?.data.entries.length, 2);
      await b.bufferContext('claude-code', {});
      assert.equal((await b.status('claude-code'))?.entriesCount, 3);
    });
  });

  it('tells a buffer whose sessions all ended from one with an interrupted session', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      await b.bufferContext('vscode', { session_id: 'a' }, 'session-start');
      await b.bufferContext('vscode', { session_id: 'a' }, 'session-end');
      assert.equal((await b.status('vscode'))?.interrupted, false);
      await b.bufferContext('vscode', { session_id: 'b' }, 'session-start');
      await b.bufferContext('vscode', { session_id: 'b' }, 'checkpoint');
      await b.bufferContext('vscode', { session_id: 'c' }, 'session-start');
      await b.bufferContext('vscode', { session_id: 'c' }, 'session-end');
      assert.equal((await b.status('vscode'))?.interrupted, true, 'session b, which crashed, is not hidden by c');
      await b.bufferContext('vscode', { session_id: 'b' }, 'session-end');
      assert.equal((await b.status('vscode'))?.interrupted, false);
      await b.bufferContext('vscode', {}, 'checkpoint');
      assert.equal((await b.status('vscode'))?.interrupted, true, 'entries without a session count as one that has not ended');
    });
  });

  it('status and list report entry counts, flush state and has-buffer', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      assert.equal(await b.status('amp'), null);
      assert.equal(await b.hasBuffer('amp'), false);
      b.startBuffering('amp');
      assert.equal(await b.hasBuffer('amp'), true);
      await b.bufferContext('amp', {});
      await b.bufferContext('amp', {});
      const status = await b.status('amp');
      assert.equal(status?.entriesCount, 2);
      assert.equal(status?.unflushed, 0);
      assert.equal(status?.inMemory, true);
      assert.equal(status?.leftover, false);
      assert.ok(status?.lastFlush);
      assert.deepEqual((await b.listBuffers()).map((s) => s.agentType), ['amp']);
    });
  });
});

describe('PersistentBuffer: acknowledgement, timers and limits', () => {
  it('resolves bufferContext only once the entry is in the journal on disk', async () => {
    const dir = tempDir();
    await withBuffer({ dir, batchWindowMs: 20 }, async (b) => {
      const entry = await b.bufferContext('claude-code', { commands_run: ['npm test'] });
      const journal = bufferFiles(dir).find((n) => n.startsWith('claude-code.json.wal-'));
      assert.ok(journal, 'a journal file exists');
      assert.match(fs.readFileSync(path.join(dir, journal), 'utf8'), new RegExp(entry.id!));
    });
  });

  it('one group commit covers entries that arrive together, each with a unique id', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => b.bufferContext('codex', { insights: [`n${i}`] })));
      assert.equal(new Set(entries.map((e) => e.id)).size, 200);
      const recovered = await b.read('codex');
      assert.equal(recovered?.data.entries.length, 200);
    });
  });

  it('auto-flushes the snapshot when maxEntries unflushed entries accumulate (durability off)', async () => {
    const dir = tempDir();
    await withBuffer({ dir, durability: 'off', maxEntries: 3, flushIntervalMs: 0 }, async (b) => {
      await b.bufferContext('droid', {});
      await b.bufferContext('droid', {});
      assert.equal(fs.existsSync(path.join(dir, 'droid.json')), false);
      await b.bufferContext('droid', {});
      const snap = parseSnapshot(fs.readFileSync(path.join(dir, 'droid.json'), 'utf8'));
      assert.equal(snap.entries.length, 3);
    });
  });

  it('flushes on the flush interval, which the crate stores and never uses', async () => {
    const dir = tempDir();
    await withBuffer({ dir, durability: 'off', maxEntries: 100, flushIntervalMs: 40 }, async (b) => {
      await b.bufferContext('hermes', { insights: ['timer'] });
      const file = path.join(dir, 'hermes.json');
      // Wait for the flush to finish, not for the file to appear (it is renamed in mid-flush).
      for (let i = 0; i < 100 && (await b.status('hermes'))?.unflushed !== 0; i++) await sleep(20);
      assert.equal((await b.status('hermes'))?.unflushed, 0);
      assert.equal(parseSnapshot(fs.readFileSync(file, 'utf8')).entries.length, 1);
    });
  });

  it('dispose stops the timers: nothing is written afterwards', async () => {
    const dir = tempDir();
    const b = new PersistentBuffer({ dir, durability: 'off', maxEntries: 100, flushIntervalMs: 30 });
    await b.bufferContext('generic', {});
    await b.dispose();
    await sleep(120);
    assert.equal(fs.existsSync(path.join(dir, 'generic.json')), false);
    await assert.rejects(b.bufferContext('generic', {}), (e: BufferError) => e.code === 'DISPOSED');
  });

  it('refuses an entry larger than maxEntryBytes with a clear error and keeps the others', async () => {
    const dir = tempDir();
    await withBuffer({ dir, maxEntryBytes: 10_000 }, async (b) => {
      await b.bufferContext('codex', { insights: ['small'] });
      await assert.rejects(
        b.bufferContext('codex', { insights: ['x'.repeat(20_000)] }),
        (e: BufferError) => e.code === 'ENTRY_TOO_LARGE' && /limit is 9\.8 KB/.test(e.message),
      );
      assert.equal((await b.read('codex'))?.data.entries.length, 1);
    });
  });

  it('refuses invalid contexts naming the field, and writes nothing', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      await assert.rejects(
        b.bufferContext('codex', { files: [{ path: 'a', action: 'exploded', timestamp: '2026-01-01T00:00:00Z' }] } as never),
        (e: BufferError) => e.code === 'INVALID_CONTEXT' && e.message.includes('context.files[0].action'),
      );
      await assert.rejects(b.bufferContext('codex', 'text' as never), (e: BufferError) => e.code === 'INVALID_CONTEXT');
      assert.deepEqual(bufferFiles(dir).filter((n) => n.startsWith('codex')), []);
    });
  });

  it('refuses hostile agent names before touching the disk', async () => {
    const dir = tempDir();
    await withBuffer({ dir }, async (b) => {
      for (const name of ['../escape', 'a/b', 'a\\b', '', '.hidden', 'CON', 'nul.txt', 'x'.repeat(65), 'a\0b', 'C:evil', 'trailing.']) {
        await assert.rejects(b.bufferContext(name, {}), (e: BufferError) => e.code === 'INVALID_AGENT_NAME' && /1 to 64 characters/.test(e.message), name);
      }
      assert.deepEqual(fs.readdirSync(dir), []);
      assert.equal(fs.existsSync(path.join(path.dirname(dir), 'escape.json')), false);
    });
  });

  it('configure applies new settings without losing entries', async () => {
    const dir = tempDir();
    await withBuffer({ dir, durability: 'off', maxEntries: 100, flushIntervalMs: 0 }, async (b) => {
      await b.bufferContext('pi-mono', {});
      b.configure({ durability: 'batched', flushIntervalMs: 30 });
      await b.bufferContext('pi-mono', {});
      for (let i = 0; i < 100 && (await b.status('pi-mono'))?.unflushed !== 0; i++) await sleep(20);
      assert.equal((await b.read('pi-mono'))?.data.entries.length, 2);
      assert.equal((await b.status('pi-mono'))?.unflushed, 0);
    });
  });

  it('creates the folder 0700 and buffer files 0600', { skip: process.platform === 'win32' }, async () => {
    const dir = path.join(tempDir(), 'nested', 'buffer');
    await withBuffer({ dir }, async (b) => {
      await b.bufferContext('codex', {});
      await b.flush('codex', { compact: true });
      await b.bufferContext('codex', {});
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      for (const name of bufferFiles(dir)) {
        if (name.startsWith('.writer-')) continue;
        assert.equal(fs.statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
      }
    });
  });
});
