// The search cache of a buffer folder: typing reads nothing; a buffer is read again only after
// its change events said it changed (appends, compaction, recovery, clear, another process).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PersistentBuffer } from '../../../src/core/buffer';
import { SearchCache } from '../../../src/core/searchCache';
import { tempDir } from './helpers';

async function withCache(fn: (b: PersistentBuffer, cache: SearchCache) => Promise<void>, dir = tempDir()): Promise<void> {
  const buffer = new PersistentBuffer({ dir, flushIntervalMs: 0 });
  const cache = new SearchCache(buffer);
  try {
    await fn(buffer, cache);
  } finally {
    cache.dispose();
    await buffer.dispose();
  }
}

const texts = (cache: SearchCache, query: string) => cache.search(query).map((h) => h.text);

describe('SearchCache', () => {
  it('searches without reading again until a buffer changes; an append is found after the next refresh', async () => {
    await withCache(async (b, cache) => {
      await b.bufferContext('claude-code', { insights: ['upload retries back off'] });
      await b.bufferContext('codex', { commands_run: ['npm run upload'] });
      await cache.refresh(['claude-code', 'codex']);
      assert.equal(cache.reads, 2);
      assert.deepEqual(texts(cache, 'upload'), ['npm run upload', 'upload retries back off']);
      for (let i = 0; i < 5; i++) cache.search('upload');
      await cache.refresh(['claude-code', 'codex']);
      assert.equal(cache.reads, 2, 'unchanged buffers are not read again');
      assert.ok(cache.isCurrent('codex'));

      await b.bufferContext('codex', { insights: ['upload size limit is 5 MB'] });
      assert.equal(cache.isCurrent('codex'), false, 'the append made the codex index stale');
      assert.ok(cache.isCurrent('claude-code'));
      await cache.refresh(['claude-code', 'codex']);
      assert.equal(cache.reads, 3, 'only the buffer that changed is read again');
      assert.deepEqual(texts(cache, 'upload'), ['upload size limit is 5 MB', 'npm run upload', 'upload retries back off']);
    });
  });

  it('a compaction, a change by another process and a rescan make the index stale; a clear takes the buffer out', async () => {
    await withCache(async (b, cache) => {
      await b.bufferContext('gemini', { insights: ['first'] });
      await cache.refresh(['gemini']);
      await b.flush('gemini', { compact: true });
      assert.equal(cache.isCurrent('gemini'), false, 'compacted');
      await cache.refresh(['gemini']);
      b.notifyExternalChange('gemini');
      assert.equal(cache.isCurrent('gemini'), false, 'another process wrote');
      await cache.refresh(['gemini']);
      b.notifyExternalChange();
      assert.equal(cache.isCurrent('gemini'), false, 'a rescan of every agent');
      await cache.refresh(['gemini']);
      assert.deepEqual(texts(cache, 'first'), ['first']);

      await b.clear('gemini');
      await cache.refresh([]);
      assert.deepEqual(texts(cache, 'first'), [], 'a buffer no longer listed leaves the index');
    });
  });

  it('an entry appended while a buffer is being read is not lost: the next refresh reads it again', async () => {
    await withCache(async (b, cache) => {
      await b.bufferContext('claude-code', { insights: ['before'] });
      const read = b.read.bind(b);
      let appended = false;
      // The append lands after the read took the files and before the index is set.
      (b as unknown as { read: typeof b.read }).read = async (agent) => {
        const result = await read(agent);
        if (!appended) {
          appended = true;
          await b.bufferContext('claude-code', { insights: ['during'] });
        }
        return result;
      };
      await cache.refresh(['claude-code']);
      assert.deepEqual(texts(cache, 'during'), []);
      assert.equal(cache.isCurrent('claude-code'), false);
      await cache.refresh(['claude-code']);
      assert.deepEqual(texts(cache, 'during'), ['during']);
    });
  });

  it('a refresh asked for while one runs is served after it, with the newer list', async () => {
    await withCache(async (b, cache) => {
      await b.bufferContext('claude-code', { insights: ['alpha'] });
      await b.bufferContext('codex', { insights: ['alpha too'] });
      const first = cache.refresh(['claude-code']);
      const second = cache.refresh(['claude-code', 'codex']);
      await Promise.all([first, second]);
      assert.deepEqual(texts(cache, 'alpha').sort(), ['alpha', 'alpha too']);
    });
  });
});
