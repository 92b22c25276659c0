// A `__proto__` key in `custom` is data like any other key (JSON.parse makes it an own key; jq and
// SQLite keep it): kept through completion, the journal, the snapshot and show, never dropped.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completeContext } from '../../src/core/schema';
import { parseSnapshot } from '../../src/core/snapshot';
import { runCli, scratch } from './support/hostile';

const INPUT = '{"custom":{"__proto__":{"x":1},"a":1}}';

describe('__proto__ keys in custom', () => {
  it('are own keys after completion, with no prototype set', () => {
    const context = completeContext(JSON.parse(INPUT), { agentType: 'ag', now: '2026-06-14T09:00:00Z' });
    assert.deepEqual(Object.keys(context.custom), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(context.custom), Object.prototype);
    assert.equal((context.custom as { x?: unknown }).x, undefined, 'not inherited');
  });

  it('survive push, recover (journal merged into the snapshot) and show --json', () => {
    const dir = scratch();
    const pushed = runCli(['push', 'ag', '--dir', dir], { input: INPUT });
    assert.equal(pushed.status, 0, pushed.stderr);
    const custom = () => {
      const shown = runCli(['show', 'ag', '--json', '--dir', dir]);
      assert.equal(shown.status, 0, shown.stderr);
      return JSON.parse(shown.stdout).entries[0].context.custom as Record<string, unknown>;
    };
    const expected = JSON.parse('{"__proto__":{"x":1},"a":1}');
    assert.deepEqual(Object.keys(custom()), ['__proto__', 'a'], 'from the journal');
    assert.equal(runCli(['recover', 'ag', '--dir', dir]).status, 0);
    assert.deepEqual(custom(), expected, 'from the snapshot');
    const snapshot = parseSnapshot(fs.readFileSync(path.join(dir, 'ag.json')));
    assert.deepEqual(Object.keys(snapshot.entries[0].context.custom), ['__proto__', 'a']);
    assert.match(runCli(['show', 'ag', '--dir', dir]).stdout, /"__proto__": \{/);
  });
});
