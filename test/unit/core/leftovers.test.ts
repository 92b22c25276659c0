import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { describeLeftover, leftoverKind } from '../../../src/core/leftovers';
import type { BufferStatus } from '../../../src/core/types';
import { tempDir } from './helpers';

function status(agentType: string, fill: Partial<BufferStatus> = {}): BufferStatus {
  return {
    agentType, startedAt: null, entriesCount: 3, interrupted: false, lastFlush: null, unflushed: 0, inMemory: false, onDisk: true,
    leftover: true, ownedByOtherWriter: false, bytes: 10, path: `/tmp/${agentType}.json`, problems: [], damaged: false,
    ...fill,
  };
}

test('one rule: interrupted sessions and buffers not cleared after their session ended are offered', () => {
  assert.equal(leftoverKind(status('claude-code', { interrupted: true })), 'interrupted');
  assert.equal(leftoverKind(status('claude-code', { interrupted: false })), 'not-cleared');
  assert.equal(describeLeftover(status('codex', { interrupted: true })), 'interrupted session');
  assert.equal(describeLeftover(status('codex', { interrupted: false })), 'not cleared after its session ended');
});

test('never offered: a window\'s own vscode buffer after a clean close, archives, empty buffers, buffers in use', () => {
  assert.equal(leftoverKind(status('vscode', { interrupted: false })), undefined);
  assert.equal(leftoverKind(status('vscode', { interrupted: true })), 'interrupted', 'a crashed window is worth recovering');
  assert.equal(leftoverKind(status('claude-code.archive-20260519T130000Z', { archiveOf: 'claude-code', interrupted: true })), undefined);
  assert.equal(leftoverKind(status('claude-code', { entriesCount: 0, interrupted: true })), undefined);
  assert.equal(leftoverKind(status('claude-code', { leftover: false, inMemory: true, interrupted: true })), undefined);
  assert.equal(describeLeftover(status('vscode')), undefined);
});

test('a buffer on disk whose newest entry is a session end is a leftover not cleared (the core\'s status feeds the rule)', async () => {
  const dir = tempDir();
  const writer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  await writer.bufferContext('claude-code', { session_id: 's1', insights: ['work'] }, 'checkpoint');
  await writer.bufferContext('claude-code', { session_id: 's1' }, 'session-end');
  await writer.bufferContext('vscode', { session_id: 'w1' }, 'session-end');
  await writer.bufferContext('codex', { session_id: 'c1', insights: ['cut short'] }, 'tool-use');
  await writer.flushAll({ compact: true });
  await writer.dispose();
  const reader = new PersistentBuffer({ dir, flushIntervalMs: 0, durability: 'off' });
  try {
    const kinds = Object.fromEntries((await reader.listBuffers()).map((s) => [s.agentType, leftoverKind(s) ?? null]));
    assert.deepEqual(kinds, { 'claude-code': 'not-cleared', codex: 'interrupted', vscode: null });
  } finally {
    await reader.dispose();
  }
});
