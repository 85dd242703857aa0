import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planBench } from '../../src/bench/runner.js';
import { recordedConfig, recordsPlan } from '../../src/bench/run.js';

test('recordsPlan: a result file matches its plan; one written before head defaults were recorded matches when they are the defaults', () => {
  const { plans } = planBench({ protocol: 'figure1', methods: ['affinity', 'center-loss'], seeds: 1, quick: true });
  for (const plan of plans) {
    const recorded = recordedConfig(plan);
    assert.equal(recordsPlan(recorded, plan), true);
    // The same config as an older version wrote it: without the head's resolved defaults, the
    // method under its old name.
    const { sigma: _s, margin: _m, prototypesPerClass: _p, diversityWeight: _d, classMargins: _c, priorCorrection: _t, centerWeight: _w, method, ...rest } = recorded;
    const older = { ...rest, loss: method };
    assert.ok(Object.keys(older).length < Object.keys(recorded).length, `${plan.id} records head settings`);
    assert.equal(recordsPlan(older, plan), true, plan.id);
    // Another value, or a field that is no config field, is another config.
    assert.equal(recordsPlan({ ...recorded, epochs: (recorded.epochs as number) + 1 }, plan), false);
    assert.equal(recordsPlan({ ...older, seed: 99 }, plan), false);
    assert.equal(recordsPlan({ ...older, nosuch: 1 }, plan), false);
  }
  const affinity = plans.find((plan) => plan.config.method === 'affinity')!;
  assert.equal(recordsPlan({ ...recordedConfig(affinity), margin: 0.5 }, affinity), false);
});
