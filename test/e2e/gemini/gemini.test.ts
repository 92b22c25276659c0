// The Gemini CLI end-to-end scenario (./run.ts) under node:test, for test/harness/run-e2e.mjs:
// one subtest per check, so the spec output says which one failed.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { GEMINI_VERSION, run } from './run';

test(`Gemini CLI ${GEMINI_VERSION} end to end (real client, scripted local Gemini API)`, { timeout: 600_000 }, async (t) => {
  const { results } = await run();
  assert.ok(results.length > 0, 'no checks ran');
  for (const result of results) {
    await t.test(result.name, () => {
      if (!result.ok) assert.fail(result.error ?? 'failed');
    });
  }
});
