// Agent names become file names; the buffer folder follows the crate's platform rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentNameProblem, assertAgentName } from '../../../src/core/agentName';
import { defaultBufferDir, resolveBufferDir } from '../../../src/core/paths';
import { completeContext, type InvalidContextError, timestampSortKey } from '../../../src/core/schema';

describe('agent names', () => {
  it('accepts every agent type the crate knows', () => {
    for (const name of ['claude-code', 'codex', 'gemini', 'qwen', 'opencode', 'amp', 'droid', 'hermes', 'pi-mono', 'oh-my-pi', 'pi-skills', 'generic', 'a.b_c-1', 'x'.repeat(64)]) {
      assert.equal(agentNameProblem(name), undefined, name);
    }
  });

  it('refuses names that could leave the folder or are not portable file names, saying what is allowed', () => {
    for (const name of ['', '..', '../x', 'a/b', 'a\\b', 'C:x', 'a\0b', '.env', 'con', 'NUL', 'com1', 'LPT9.json', 'aux.txt', 'a ', 'é', 'x'.repeat(65), 'dot.', 42, null]) {
      assert.match(agentNameProblem(name) ?? '', /1 to 64 characters of letters, digits, "\.", "_" and "-"/, String(name));
      assert.throws(() => assertAgentName(name), /INVALID|invalid agent name|must be a string/);
    }
  });
});

describe('buffer folder', () => {
  it('follows the crate: XDG_DATA_HOME when absolute, else ~/.local/share, on Linux', () => {
    assert.equal(defaultBufferDir({ platform: 'linux', env: { XDG_DATA_HOME: '/xdg' }, homedir: '/home/u' }), '/xdg/nexus/buffer');
    assert.equal(defaultBufferDir({ platform: 'linux', env: { XDG_DATA_HOME: 'relative' }, homedir: '/home/u' }), '/home/u/.local/share/nexus/buffer');
    assert.equal(defaultBufferDir({ platform: 'linux', env: {}, homedir: '/home/u' }), '/home/u/.local/share/nexus/buffer');
  });

  it('uses Application Support on macOS and LOCALAPPDATA on Windows', () => {
    assert.equal(defaultBufferDir({ platform: 'darwin', env: {}, homedir: '/Users/u' }), '/Users/u/Library/Application Support/nexus/buffer');
    assert.equal(defaultBufferDir({ platform: 'win32', env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, homedir: 'C:\\Users\\u' }), 'C:\\Users\\u\\AppData\\Local\\nexus\\buffer');
  });

  it('an explicit option wins over NEXUS_BUFFER_DIR, which wins over the default', () => {
    const info = { platform: 'linux' as const, env: { NEXUS_BUFFER_DIR: '/from-env' }, homedir: '/home/u' };
    assert.equal(resolveBufferDir('/explicit', info), '/explicit');
    assert.equal(resolveBufferDir(undefined, info), '/from-env');
    assert.equal(resolveBufferDir('  ', { ...info, env: {} }), '/home/u/.local/share/nexus/buffer');
  });
});

describe('contexts', () => {
  it('completes a partial context with the crate defaults', () => {
    const ctx = completeContext({ commands_run: ['ls'] }, { agentType: 'codex', extractionSource: 'cli', now: '2026-01-01T00:00:00.000Z' });
    assert.equal(ctx.agent_type, 'codex');
    assert.equal(ctx.extraction_started, '2026-01-01T00:00:00.000Z');
    assert.equal(ctx.extraction_source, 'cli');
    assert.equal(ctx.reliability_score, 1);
    assert.deepEqual([ctx.conversation, ctx.files, ctx.errors, ctx.custom, ctx.session_id], [[], [], [], {}, null]);
  });

  it('names the offending field of a wrong type', () => {
    assert.throws(() => completeContext({ files: [{ path: 'a', action: 'exploded', timestamp: '2026-01-01T00:00:00Z' }] }, { agentType: 'a' }), (e: InvalidContextError) => e.message.startsWith('context.files[0].action:'));
    assert.throws(() => completeContext({ reliability_score: 'high' }, { agentType: 'a' }), /context\.reliability_score/);
    assert.throws(() => completeContext({ reliability_score: Infinity }, { agentType: 'a' }), /context\.reliability_score: must be a finite number/);
    assert.throws(() => completeContext({ extraction_started: 'yesterday' }, { agentType: 'a' }), /context\.extraction_started: must be an RFC 3339 timestamp/);
    assert.throws(() => completeContext([], { agentType: 'a' }), /must be a JSON object/);
  });

  it('orders timestamps of mixed precision and offsets correctly', () => {
    const sorted = ['2026-01-01T00:00:03Z', '2026-01-01T00:00:03.418Z', '2026-01-01T00:00:03.000000001Z', '2026-01-01T01:00:02+01:00']
      .sort((a, b) => (timestampSortKey(a) < timestampSortKey(b) ? -1 : 1));
    assert.deepEqual(sorted, ['2026-01-01T01:00:02+01:00', '2026-01-01T00:00:03Z', '2026-01-01T00:00:03.000000001Z', '2026-01-01T00:00:03.418Z']);
  });
});
