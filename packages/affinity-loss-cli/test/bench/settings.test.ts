import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METHOD_NAMES } from 'affinity-loss/internal/models/methods.js';
import { headDefaults } from 'affinity-loss/internal/models/build.js';
import { EXPERIMENT_FIELDS, HEAD_FIELDS, settingOf } from '../../src/bench/settings.js';

test('the settings table resolves in an order where every default sees what it reads: dataset before the image settings, method and feature width before the head', () => {
  const at = (field: string) => EXPERIMENT_FIELDS.indexOf(field as never);
  for (const field of ['imageSize', 'imageChannels']) assert.ok(at('dataset') < at(field), field);
  for (const field of HEAD_FIELDS) assert.ok(at('method') < at(field) && at('featureWidth') < at(field), field);
});

test("every default passes its own setting's check, unchanged, and every default search range its own range check", () => {
  for (const field of EXPERIMENT_FIELDS) {
    const setting = settingOf(field);
    if (setting.default !== undefined && typeof setting.default !== 'function') assert.deepEqual(setting.check(setting.default), setting.default, field);
    if (setting.search !== undefined) assert.deepEqual(setting.search.checkRange(setting.search.range, field), setting.search.range, field);
  }
  // The head's defaults, for every method that has them.
  for (const method of METHOD_NAMES) {
    for (const [field, value] of Object.entries(headDefaults(method, 128))) {
      assert.deepEqual(settingOf(field as never).check(value), value, `${method} ${field}`);
    }
  }
});

test('a head setting applies to exactly the methods whose head has it (METHOD.md: the hinge has the margin, the cross-entropy form not)', () => {
  const affinity = ['affinity', 'affinity-m5', 'affinity-lt', 'affinity-ce'];
  const hinge = ['affinity', 'affinity-m5', 'affinity-lt'];
  const expected: Record<string, string[]> = {
    sigma: affinity,
    margin: hinge,
    prototypesPerClass: affinity,
    diversityWeight: affinity,
    classMargins: hinge,
    priorCorrection: affinity,
    centerWeight: ['center-loss'],
  };
  assert.deepEqual(Object.keys(expected), [...HEAD_FIELDS]);
  for (const field of HEAD_FIELDS) {
    const appliesTo = settingOf(field).appliesTo!;
    assert.deepEqual(METHOD_NAMES.filter((method) => appliesTo.test({ method } as never)), expected[field], field);
  }
});
