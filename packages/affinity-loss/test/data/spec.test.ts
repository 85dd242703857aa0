import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { MNIST_ASYMMETRIC_MAP } from '../../src/data/noise.js';
import {
  describeImbalance,
  describeNoise,
  describeRecipe,
  parseImbalanceSpec,
  parseNoiseSpec,
  parseRecipe,
  parseSamplingMode,
} from '../../src/data/spec.js';

test('imbalance specs parse to the builder objects', () => {
  assert.deepEqual(parseImbalanceSpec('step:0-4:0.1'), { kind: 'step', minorityClasses: [0, 1, 2, 3, 4], keepFraction: 0.1 });
  assert.deepEqual(parseImbalanceSpec('step:0,2,4:50'), { kind: 'step', minorityClasses: [0, 2, 4], keepCount: 50 });
  assert.deepEqual(parseImbalanceSpec('step:7,0-2:1'), { kind: 'step', minorityClasses: [0, 1, 2, 7], keepCount: 1 }, 'sorted');
  assert.deepEqual(parseImbalanceSpec('step:3:1.0'), { kind: 'step', minorityClasses: [3], keepFraction: 1 });
  assert.deepEqual(parseImbalanceSpec('exp:100'), { kind: 'exponential', ratio: 100 });
  assert.deepEqual(parseImbalanceSpec('exp:12.5:5000'), { kind: 'exponential', ratio: 12.5, maxCount: 5000 });
  assert.deepEqual(parseImbalanceSpec('evencap:10'), { kind: 'evencap', testCount: 10 });
  assert.deepEqual(parseImbalanceSpec('counts:500,500,50'), { kind: 'counts', counts: [500, 500, 50] });
});

test('describe is the inverse of parse, in canonical form', () => {
  for (const text of ['step:0-4:0.1', 'step:0,2,4:50', 'step:3:1.0', 'step:1,2:0.5', 'exp:100', 'exp:12.5:5000', 'evencap:10', 'counts:500,500,50']) {
    assert.equal(describeImbalance(parseImbalanceSpec(text)), text);
  }
  assert.equal(describeImbalance(parseImbalanceSpec('step:7,0,1,2,3:0.25')), 'step:0-3,7:0.25');
  assert.equal(describeImbalance({ kind: 'step', minorityClasses: [0], keepFraction: 1e-7 }), 'step:0:1e-7');
  assert.deepEqual(parseImbalanceSpec('step:0:1e-7'), { kind: 'step', minorityClasses: [0], keepFraction: 1e-7 });
  for (const text of ['noise:sym:0.2', 'noise:asym:mnist:0.4', 'noise:asym:1>0,2>7:0.3', 'noise:sym:0', 'noise:sym:1']) {
    assert.equal(describeNoise(parseNoiseSpec(text)), text);
  }
  assert.equal(describeNoise(parseNoiseSpec('noise:asym:7>1,5<>6,3>8,2>7:0.1')), 'noise:asym:mnist:0.1');
  assert.equal(describeNoise(parseNoiseSpec('noise:asym:5<>6:0.1')), 'noise:asym:5>6,6>5:0.1');
});

test('parse(describe(spec)) equals spec for parsed specs, unsorted class lists and maps included', () => {
  const imbalances = ['step:4,0-2:0.1', 'step:9,3,1:5', 'counts:5,1,3', 'exp:10:50', 'evencap:3'];
  for (const text of imbalances) {
    const spec = parseImbalanceSpec(text);
    assert.deepEqual(parseImbalanceSpec(describeImbalance(spec)), spec, text);
  }
  const noises = ['noise:asym:7>1,2>7:0.3', 'noise:asym:6<>5,3>8:0.2', 'noise:asym:mnist:0.4', 'noise:asym:7>1,6>5,5>6,3>8,2>7:0.1'];
  for (const text of noises) {
    const spec = parseNoiseSpec(text);
    assert.deepEqual(parseNoiseSpec(describeNoise(spec)), spec, text);
  }
  assert.deepEqual(parseNoiseSpec('noise:asym:7>1,2>7:0.3'), { kind: 'asymmetric', rate: 0.3, map: [[2, 7], [7, 1]] });
  const recipe = parseRecipe('noise:asym:9>0,1>2:0.2+step:5,1:0.5+val:0.1');
  assert.deepEqual(parseRecipe(describeRecipe(recipe)), recipe);
});

test('noise specs parse, the MNIST preset included', () => {
  assert.deepEqual(parseNoiseSpec('noise:sym:0.2'), { kind: 'symmetric', rate: 0.2 });
  assert.deepEqual(parseNoiseSpec('noise:asym:mnist:0.4'), { kind: 'asymmetric', rate: 0.4, map: MNIST_ASYMMETRIC_MAP.map((pair) => [...pair]) });
  assert.deepEqual(parseNoiseSpec('noise:asym:2>7,5<>6:0.3'), { kind: 'asymmetric', rate: 0.3, map: [[2, 7], [5, 6], [6, 5]] });
});

test('recipes join parts with +, in any order, canonical order on describe', () => {
  const recipe = parseRecipe('val:0.1+noise:sym:0.2+exp:100');
  assert.deepEqual(recipe, { imbalance: { kind: 'exponential', ratio: 100 }, noise: { kind: 'symmetric', rate: 0.2 }, validationFraction: 0.1 });
  assert.equal(describeRecipe(recipe), 'exp:100+noise:sym:0.2+val:0.1');
  assert.deepEqual(parseRecipe('none'), {});
  assert.deepEqual(parseRecipe(''), {});
  assert.equal(describeRecipe({}), 'none');
  assert.equal(describeRecipe(parseRecipe('evencap:10+val:0')), 'evencap:10+val:0');
});

test('sampling modes', () => {
  assert.equal(parseSamplingMode('class-balanced'), 'class-balanced');
  assert.equal(parseSamplingMode('sqrt'), 'sqrt');
  assert.throws(() => parseSamplingMode('balanced'), /bad sampling spec "balanced": expected one of instance, sqrt, class-balanced/);
});

test('bad spec strings throw AffinityConfigError naming the string and what was expected', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => parseImbalanceSpec('step:0-4'), /bad imbalance spec "step:0-4": expected step:<classes>:<fraction or count>/],
    [() => parseImbalanceSpec('step:4-0:0.1'), /class range 4-0 runs backwards/],
    [() => parseImbalanceSpec('step:0-2,1:0.1'), /class 1 is listed twice/],
    [() => parseImbalanceSpec('step:a:0.1'), /a class id must be an integer >= 0, got "a"/],
    [() => parseImbalanceSpec('step:0--2:0.1'), /must look like 0-4 or 0,2,4/],
    [() => parseImbalanceSpec('step:0,:0.1'), /must look like 0-4 or 0,2,4/],
    [() => parseImbalanceSpec('step:0:1.5'), /kept fraction must be in \(0, 1\], got 1.5/],
    [() => parseImbalanceSpec('step:0:0.0'), /kept fraction must be in \(0, 1\]/],
    [() => parseImbalanceSpec('step:0:-3'), /the kept fraction must not be negative, got -3/],
    [() => parseImbalanceSpec('exp:-5'), /bad imbalance spec "exp:-5": the imbalance ratio must not be negative, got -5/],
    [() => parseNoiseSpec('noise:sym:-0.1'), /the noise rate must not be negative, got -0.1/],
    [() => parseImbalanceSpec('exp:0.5'), /imbalance ratio must be >= 1, got 0.5/],
    [() => parseImbalanceSpec('exp'), /expected exp:<ratio>/],
    [() => parseImbalanceSpec('exp:100:5000.5'), /maxCount must be an integer >= 0, got "5000.5"/],
    [() => parseImbalanceSpec('evencap'), /expected evencap:<k>/],
    [() => parseImbalanceSpec('evencap:ten'), /k must be an integer >= 0, got "ten"/],
    [() => parseImbalanceSpec('evencap:0'), /bad imbalance spec "evencap:0": k must be >= 1/],
    [() => parseImbalanceSpec('counts:'), /expected counts:<n0>,<n1>/],
    [() => parseImbalanceSpec('counts:5,,5'), /each count must be an integer >= 0, got ""/],
    [() => parseImbalanceSpec('zipf:1.1'), /expected step:..., exp:..., evencap:... or counts:.../],
    [() => parseNoiseSpec('noise:asym:mnist'), /expected noise:asym:<map>:<rate> with a map and a flip rate, e.g. noise:asym:mnist:0.4/],
    [() => parseNoiseSpec('noise:sym:1.5'), /noise rate must be in \[0, 1\], got 1.5/],
    [() => parseNoiseSpec('noise:sym:abc'), /the noise rate must be a number, got "abc"/],
    [() => parseNoiseSpec('noise:sym'), /expected noise:sym:<rate>/],
    [() => parseNoiseSpec('noise:pair:0.2'), /expected noise:sym:<rate> or noise:asym:<map>:<rate>/],
    [() => parseNoiseSpec('noise:asym:2-7:0.2'), /map entry "2-7" must look like 2>7 or 5<>6/],
    [() => parseNoiseSpec('noise:asym:2>2:0.2'), /2>2 maps a class to itself/],
    [() => parseNoiseSpec('noise:asym:2>7,2>3:0.2'), /class 2 has two targets/],
    [() => parseRecipe('exp:100+step:0:0.1'), /more than one imbalance part/],
    [() => parseRecipe('noise:sym:0.1+noise:sym:0.2'), /more than one noise part/],
    [() => parseRecipe('val:0.1+val:0.2'), /more than one val part/],
    [() => parseRecipe('val:1'), /validation fraction must be in \[0, 1\), got 1/],
    [() => parseRecipe('val'), /expected val:<fraction>/],
    [() => parseRecipe('exp:100+shuffle'), /unknown part "shuffle"; parts are step:, exp:, evencap:, counts:, noise: and val:/],
    [() => parseRecipe('exp:100+'), /unknown part ""/],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (e: Error) => e instanceof AffinityConfigError && message.test(e.message), message.source);
  }
});
