// Small pieces of the host that need the vscode module: the leftover message, the status bar
// text, command arguments, recovered-document URIs and which folder events matter.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { agentFromArgument } from '../../src/commands';
import type { BufferStatus } from '../../src/core/types';
import { expandHome } from '../../src/host/bufferHost';
import { agentOfFile } from '../../src/host/folderWatcher';
import { describeLeftovers, leftoverBuffers } from '../../src/host/leftoverPrompt';
import { bufferUri, parseBufferUri } from '../../src/views/bufferUri';
import { statusBarText } from '../../src/views/statusBar';

function status(agentType: string, fill: Partial<BufferStatus> = {}): BufferStatus {
  return {
    agentType, startedAt: null, entriesCount: 0, interrupted: true, lastFlush: null, unflushed: 0, inMemory: false, onDisk: true,
    leftover: false, ownedByOtherWriter: false, bytes: 0, path: `/tmp/${agentType}.json`, problems: [], damaged: false,
    ...fill,
  };
}

suite('Host pieces', () => {
  test('the leftover prompt names each agent with its entry count', () => {
    const list = [
      status('claude-code', { leftover: true, entriesCount: 14 }),
      status('codex', { leftover: true, entriesCount: 3 }),
      status('live', { inMemory: true, entriesCount: 5 }),
      status('claude-code.archive-20260519T130000Z', { leftover: true, entriesCount: 20000, archiveOf: 'claude-code' }),
      status('vscode', { leftover: true, entriesCount: 9, interrupted: false }),
    ];
    const leftovers = leftoverBuffers(list);
    assert.deepEqual(leftovers.map((s) => s.agentType), ['claude-code', 'codex'], 'archives and the vscode buffer of a cleanly closed window are not offered');
    assert.equal(describeLeftovers(leftovers), '2 buffers left by an earlier session: claude-code (14 entries, interrupted session), codex (3 entries, interrupted session)');
    assert.equal(describeLeftovers([status('one', { leftover: true, entriesCount: 1, interrupted: false })]), '1 buffer left by an earlier session: one (1 entry, not cleared after its session ended)');
    assert.deepEqual(leftoverBuffers([status('ended', { leftover: true, entriesCount: 2, interrupted: false })]).map((s) => s.agentType), ['ended'],
      'a buffer not cleared after its session ended is offered too (the view says the same)');
  });

  test('the status bar counts buffers and unflushed entries, and warns about damage', () => {
    const plain = statusBarText([status('a', { unflushed: 2 }), status('b', { unflushed: 1 })]);
    assert.equal(plain.text, '$(database) 2 · 3 unflushed');
    assert.equal(plain.warning, false);
    const damaged = statusBarText([status('a', { damaged: true, problems: ['a.json: truncated'] })]);
    assert.equal(damaged.text, '$(warning) 1');
    assert.equal(damaged.warning, true);
    assert.match(damaged.tooltip, /1 damaged/);
  });

  test('commands accept a node, a string or a recovered-document URI, and refuse invalid names', () => {
    assert.equal(agentFromArgument({ agentType: 'claude-code', kind: 'buffer' }), 'claude-code');
    assert.equal(agentFromArgument('codex'), 'codex');
    assert.equal(agentFromArgument(bufferUri('gemini', 'json')), 'gemini');
    assert.equal(agentFromArgument(vscode.Uri.file('/tmp/x.md')), undefined);
    assert.equal(agentFromArgument(undefined), undefined);
    assert.throws(() => agentFromArgument('../../etc/passwd'), /invalid agent name/);
  });

  test('recovered-document URIs round-trip and reject other shapes', () => {
    const uri = bufferUri('claude-code');
    assert.equal(uri.toString(), 'nexus-buffer:/claude-code.md');
    assert.deepEqual(parseBufferUri(uri), { agentType: 'claude-code', kind: 'md' });
    assert.deepEqual(parseBufferUri(vscode.Uri.parse('nexus-buffer:/codex.json')), { agentType: 'codex', kind: 'json' });
    assert.equal(parseBufferUri(vscode.Uri.parse('nexus-buffer:/codex.txt')), undefined);
    assert.equal(parseBufferUri(vscode.Uri.parse('nexus-buffer:/a/../b.md')), undefined);
    assert.equal(parseBufferUri(vscode.Uri.file('/claude-code.md')), undefined);
  });

  test('the folder watcher maps files to agents and ignores locks and temporary files', () => {
    assert.equal(agentOfFile('claude-code.json'), 'claude-code');
    assert.equal(agentOfFile('claude-code.json.wal-h1p2r3-0'), 'claude-code');
    assert.equal(agentOfFile('codex.json.damaged-20260519T130000Z'), 'codex');
    assert.equal(agentOfFile('codex.json.tmp'), undefined);
    assert.equal(agentOfFile('codex.json.lock'), undefined);
    assert.equal(agentOfFile('.writer-h1p2r3.lock'), undefined);
    assert.equal(agentOfFile('notes.txt'), undefined);
    assert.equal(agentOfFile(undefined), 'any');
  });

  test('a leading ~ in nexusBuffer.directory means the home folder', () => {
    assert.equal(expandHome('~/buffers'), path.join(os.homedir(), 'buffers'));
    assert.equal(expandHome('/srv/buffers'), '/srv/buffers');
  });
});
