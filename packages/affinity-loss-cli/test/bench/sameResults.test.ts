/**
 * The bench's numbers for a fixed config and seed, against the ones the code gave when this
 * file was written (test/fixtures/bench-results.json): refactors must leave every metric, every
 * epoch's loss and the chosen epoch and tau exactly as they were. The runs go through the
 * bench's own path (planBench, then executeRun on the wasm backend its workers use).
 *
 * A change that is meant to change results regenerates the fixture, and says so in its commit:
 *   AFFINITY_UPDATE_FIXTURES=1 node --import tsx --test test/node/bench/sameResults.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { useNodeBackend } from 'affinity-loss-node/internal/backend/backend.js';
import { planBench } from '../../src/bench/runner.js';
import { executeRun } from '../../src/bench/run.js';

const FIXTURE = new URL('../fixtures/bench-results.json', import.meta.url);

before(async () => {
  await useNodeBackend({ prefer: 'wasm', quiet: true });
});

// The step sweep at k = 10 on 4% of its training rows for 2 epochs: every kind of head (dense,
// cosine with deferred re-weighting, center, the paper's hinge, the prior-aware hinge with tau
// chosen on validation, affinity cross-entropy), a second or two each.
const LOSSES = ['softmax', 'ldam-drw', 'center-loss', 'affinity', 'affinity-lt', 'affinity-ce'];

test('bench results for a fixed config and seed are the ones recorded', async () => {
  const { plans } = planBench({ protocol: 'step-sweep', quick: true, settings: ['k=10'], methods: LOSSES, overrides: { epochs: 2, trainFraction: 0.04 } });
  const results: Record<string, unknown> = {};
  for (const plan of plans) {
    const run = await executeRun(plan, 'wasm');
    // What a run measured; the config is left out (its recorded form may gain resolved defaults).
    // Timings are left out too: they are the only thing meant to differ between runs.
    const history = run.history.map(({ seconds: _seconds, ...epoch }) => epoch);
    results[plan.id] = JSON.parse(JSON.stringify({ last: run.last, best: run.best, bestEpoch: run.bestEpoch, history, priorCorrection: run.priorCorrection ?? null }));
  }
  if (process.env.AFFINITY_UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, `${JSON.stringify(results, null, 1)}\n`);
  const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(results), Object.keys(recorded));
  for (const id of Object.keys(recorded)) assert.deepStrictEqual(results[id], recorded[id], `${id} changed`);
});
