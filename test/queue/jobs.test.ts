// Job identities, queue URLs and the thread share of local processes, without a server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { GridConfig } from '../../src/experiments/grid.js';
import { parseQueueUrl, QueueUrlError, redactUrl } from '../../src/queue/connection.js';
import { gridId, gridQueueJobs } from '../../src/queue/jobs.js';
import { threadsPerProcess } from '../../src/queue/local-pool.js';
import { defaultConfig } from '../../src/train/config.js';

function smallGrid(): GridConfig {
  return {
    nets: ['N0'],
    heads: ['ce-mean', 'isbe-softmax'],
    seeds: [0, 1],
    base: { ...defaultConfig(), limit: 500 },
  };
}

describe('grid jobs', () => {
  test('ids are stable across key order', () => {
    const grid = smallGrid();
    const reordered = JSON.parse(
      JSON.stringify({ base: grid.base, seeds: grid.seeds, heads: grid.heads, nets: grid.nets }),
    ) as GridConfig;
    assert.equal(gridId(reordered), gridId(grid));
    assert.deepEqual(
      gridQueueJobs(reordered).map((job) => job.id),
      gridQueueJobs(grid).map((job) => job.id),
    );
  });

  test('ids change with any setting', () => {
    const grid = smallGrid();
    const other = { ...grid, base: { ...grid.base, lr: grid.base.lr * 2 } };
    assert.notEqual(gridId(other), gridId(grid));
  });

  test('one job per cell, named by cell', () => {
    const jobs = gridQueueJobs(smallGrid());
    const id = gridId(smallGrid());
    assert.deepEqual(
      jobs.map((job) => job.id),
      ['N0-ce-mean-s0', 'N0-ce-mean-s1', 'N0-isbe-softmax-s0', 'N0-isbe-softmax-s1'].map(
        (name) => `${id}-${name}`,
      ),
    );
    for (const job of jobs) {
      assert.equal(job.data.grid, id);
      assert.equal(job.data.config.limit, 500);
      assert.ok(!job.id.includes(':'), 'BullMQ job ids must not contain ":"');
    }
  });
});

describe('queue URL', () => {
  test('accepts host, port and database', () => {
    const url = parseQueueUrl('redis://127.0.0.1:6390/2');
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(url.port, '6390');
  });

  test('rejects other schemes', () => {
    assert.throws(() => parseQueueUrl('http://127.0.0.1:6379'), QueueUrlError);
  });

  test('rejects a missing host', () => {
    assert.throws(() => parseQueueUrl('redis://:6379'), /no host|expects a URL/);
    assert.throws(() => parseQueueUrl('127.0.0.1:6379'), QueueUrlError);
  });

  test('rejects a path other than a database', () => {
    assert.throws(() => parseQueueUrl('redis://127.0.0.1:6379/queue'), /only a database number/);
  });

  test('hides the password in messages', () => {
    const text = redactUrl(parseQueueUrl('redis://user:secret@127.0.0.1:6379'));
    assert.ok(!text.includes('secret'), text);
    assert.match(text, /user:\*\*\*@127\.0\.0\.1:6379/);
  });
});

test('thread share of local processes', () => {
  assert.equal(threadsPerProcess(8, 2), 4);
  assert.equal(threadsPerProcess(7, 2), 3);
  assert.equal(threadsPerProcess(2, 4), 1);
});
