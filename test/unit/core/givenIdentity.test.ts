// bufferContext's `given` id and timestamp, for importers of records that have their own
// identity and time (an agent's session file): the entry keeps both, a second buffering of
// the same id merges into the first on reading, and a timestamp the crate would refuse is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { tempDir } from './helpers';

test('an entry with a given id and timestamp keeps them; the same id twice reads as one entry', async () => {
  const dir = tempDir();
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  try {
    const entry = await buffer.bufferContext('claude-code', { insights: ['x'] }, 'checkpoint', { id: 'native-claude-code-u1', timestamp: '2026-12-02T01:37:32.763Z' });
    assert.equal(entry.id, 'native-claude-code-u1');
    assert.equal(entry.timestamp, '2026-12-02T01:37:32.763Z');
    assert.equal(entry.context.extraction_started, '2026-12-02T01:37:32.763Z');
    await buffer.bufferContext('claude-code', { insights: ['x'] }, 'checkpoint', { id: 'native-claude-code-u1', timestamp: '2026-12-02T01:37:32.763Z' });
    await buffer.flush('claude-code', { compact: true });
  } finally {
    await buffer.dispose();
  }
  const reader = new PersistentBuffer({ dir, flushIntervalMs: 0, durability: 'off' });
  try {
    const read = await reader.read('claude-code');
    assert.deepEqual(read?.data.entries.map((e) => e.id), ['native-claude-code-u1']);
  } finally {
    await reader.dispose();
  }
});

test('a given timestamp that is not RFC 3339, or an empty id, is refused naming the field', async () => {
  const buffer = new PersistentBuffer({ dir: tempDir(), flushIntervalMs: 0 });
  try {
    await assert.rejects(buffer.bufferContext('codex', {}, 'checkpoint', { timestamp: '2026-12-02 01:37' }), /entry timestamp: must be an RFC 3339 timestamp/);
    await assert.rejects(buffer.bufferContext('codex', {}, 'checkpoint', { id: '' }), /entry id: must be a non-empty string/);
  } finally {
    await buffer.dispose();
  }
});
