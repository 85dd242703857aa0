// The data toolkit is reachable from the public entries: the browser-safe root and affinity-loss-node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as data from 'affinity-loss/internal/data/index.js';
import * as nodeData from '../../src/data/index.js';

test('the root entry re-exports the browser-safe data toolkit, the node entry the readers', async () => {
  const root = await import('affinity-loss');
  const node = await import('../../src/index.js');
  for (const name of Object.keys(data)) assert.equal((root as Record<string, unknown>)[name], (data as Record<string, unknown>)[name], name);
  for (const name of Object.keys(nodeData)) assert.equal((node as Record<string, unknown>)[name], (nodeData as Record<string, unknown>)[name], name);
  for (const name of ['prepareDataset', 'parseRecipe', 'ClassAwareSampler', 'makeGaussianBlobs', 'Rng']) assert.ok(name in root, name);
  for (const name of ['loadDataset', 'readCsv', 'readIdxImages', 'readCifar10']) assert.ok(name in node, name);
  assert.equal('loadDataset' in root, false, 'no Node reader in the browser-safe entry');
});

test('internals stay out of the public entries (importable by relative path only)', async () => {
  const root = await import('affinity-loss');
  const node = await import('../../src/index.js');
  const internal = [
    'floorCount', 'roundCount', 'EVENCAP_TRAIN_PER_TEST', 'selectPerClass', 'keepPerClass', 'heldOutCounts', 'stratifiedIndices',
    'requireSeed', 'indicesByClass', 'takeRows', 'checkSplit', 'blobCentres', 'requireSpecClassId',
    'checkLengths', 'largestClassId', 'checkFinite', 'checkIndices',
  ];
  for (const name of internal) assert.equal(name in root, false, `${name} is not in the root entry`);
  for (const name of ['bytesToUnitFloats', 'BYTE_TO_UNIT', 'parseIdx', 'readDataFile', 'isGzip', 'findSklearnFile', 'rejectRenamedSeed', 'mnistDataFolder']) {
    assert.equal(name in node, false, `${name} is not in the node entry`);
  }
  // What a user needs is still there.
  for (const name of ['applyImbalance', 'addLabelNoise', 'splitValidation', 'countPerClass', 'describeRecipe', 'macroF1', 'rocAuc']) {
    assert.ok(name in root, name);
  }
  for (const name of ['loadPreparedDataset', 'readMnistFolder', 'parseCsv', 'readIdxSplit', 'loadBreastCancer']) assert.ok(name in node, name);
});
