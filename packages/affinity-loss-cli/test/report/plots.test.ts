import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { aggregateRuns } from '../../src/report/aggregate.js';
import { buildPlots, figure1Spec, macroF1BarSpec, perClassRecallSpec, renderSvg, svgToPng, verificationSpec } from '../../src/report/plots.js';
import { features, fixtureRuns, run } from './fixtures.js';

/** The spec as a plain JSON tree, to look inside without vega-lite's union types. */
const json = (value: unknown): string => JSON.stringify(value);

test('macroF1BarSpec: one bar per loss in listed order, mean and error-bar ends in percent', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  const spec = macroF1BarSpec(aggregate, 'k=10') as unknown as { data: { values: Record<string, unknown>[] } };
  const values = spec.data.values;
  assert.deepEqual(values.map((value) => value.method), ['softmax', 'affinity']);
  assert.ok(Math.abs((values[0].mean as number) - 85) < 1e-9);
  assert.ok(Math.abs((values[0].hi as number) - (85 + Math.sqrt(0.005) * 100)) < 1e-9);
  assert.equal(values[1].label, '94.00');
  assert.match(json(spec), /"errorbar"/);
  assert.equal(macroF1BarSpec(aggregate, 'no such setting'), undefined);
});

test('perClassRecallSpec: minority classes carry a * in their labels', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  const text = json(perClassRecallSpec(aggregate, 'k=10'));
  assert.match(text, /"two \*"/);
  assert.match(text, /"three \*"/);
  assert.doesNotMatch(text, /"one \*"/);
});

test('figure1Spec: a panel per loss with features, category10 colours, crosses for anchors and diamonds for class means', () => {
  const runs = fixtureRuns();
  assert.equal(figure1Spec(runs), undefined, 'no features, no figure');
  runs[1].features = features(false); // softmax k=10
  runs[3].features = features(true); // affinity k=10
  const text = json(figure1Spec(runs));
  assert.match(text, /"category10"/);
  assert.match(text, /"cross"/);
  assert.match(text, /"diamond"/);
  assert.match(text, /"text":"softmax"/);
  assert.match(text, /"text":"affinity"/);
  assert.match(text, /Class \(\* minority\)/);
});

test('verificationSpec and buildPlots: verification bars only with scores; names unique', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  assert.equal(verificationSpec(aggregate), undefined);
  const scores = { seen: { rocAuc: 0.9, equalErrorRate: 0.1, pairs: 5 }, unseen: { rocAuc: 0.7, equalErrorRate: 0.3, pairs: 5 } };
  const runs = [
    run({ setting: 'k=10', method: 'softmax', seed: 1, verification: scores }),
    run({ setting: 'k 10', settingOrder: 1, method: 'softmax', seed: 1, verification: scores }),
  ];
  const plots = buildPlots(aggregateRuns(runs), runs);
  assert.deepEqual(plots.map((plot) => plot.name), [
    'macro-f1-k-10',
    'per-class-recall-k-10',
    'macro-f1-k-10-2',
    'per-class-recall-k-10-2',
    'verification-roc-auc',
  ]);
});

test('svgToPng: text renders when fonts are installed; without fonts it still makes a PNG', async (t) => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  const svg = await renderSvg(macroF1BarSpec(aggregate, 'k=10')!);
  assert.ok(svg.startsWith('<svg'));
  assert.match(svg, /<text[^>]*>softmax<\/text>/);
  const bare = svgToPng(svg, { loadSystemFonts: false, scale: 1 });
  assert.deepEqual([...bare.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')) {
    t.skip('DejaVu Sans not installed: cannot check that text is drawn');
    return;
  }
  const withText = svgToPng(svg, { scale: 1 });
  assert.ok(withText.length > bare.length * 1.2, `PNG with fonts (${withText.length} B) not larger than without (${bare.length} B)`);
});
