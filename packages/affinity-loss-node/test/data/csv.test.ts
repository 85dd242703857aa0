import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { AffinityConfigError, DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { parseCsv, readCsv } from '../../src/data/csv.js';
import { temporaryFolder } from './tmp.js';

const folder = temporaryFolder('csv');
const throwsFormat = (pattern: RegExp) => (e: Error) => e instanceof DatasetFormatError && pattern.test(e.message);

test('header and a label column by name; features in column order without it', () => {
  const table = parseCsv('width,kind,height\n1.5,cat,2\n-3e2, dog ,.5\n0,cat,+4\n', { header: true, label: 'kind' });
  assert.equal(table.count, 3);
  assert.equal(table.featureCount, 2);
  assert.deepEqual(table.featureNames, ['width', 'height']);
  assert.deepEqual([...table.features], [1.5, 2, -300, 0.5, 0, 4]);
  // String labels: sorted distinct values numbered from 0; the mapping is exposed both ways.
  assert.deepEqual(table.classNames, ['cat', 'dog']);
  assert.deepEqual([...table.labels], [0, 1, 0]);
  assert.deepEqual([...table.labelIds], [['cat', 0], ['dog', 1]]);
});

test('default label column is the last; index and negative index; no header', () => {
  const text = '1,2,0\n3,4,2\r\n\n5,6,1\n';
  const last = parseCsv(text);
  assert.deepEqual([...last.labels], [0, 2, 1]);
  assert.deepEqual(last.classNames, ['0', '1', '2']);
  assert.deepEqual(last.featureNames, ['column 1', 'column 2']);
  const first = parseCsv(text, { label: 0 });
  assert.deepEqual([...first.labels], [1, 3, 5]);
  assert.deepEqual(first.classNames, ['0', '1', '2', '3', '4', '5'], 'integer labels are their own ids');
  assert.deepEqual([...first.features], [2, 0, 4, 2, 6, 1]);
  // Ids 2, 4, 6 alone would be refused as too sparse (see the stray-label test): name the classes.
  const digits = ['0', '1', '2', '3', '4', '5', '6'];
  assert.deepEqual([...parseCsv(text, { label: -2, classNames: digits }).labels], [2, 4, 6]);
});

test('numeric non-integer labels sort numerically; classNames fixes the mapping', () => {
  const table = parseCsv('1,10\n2,-1\n3,2.5\n4,10\n');
  assert.deepEqual(table.classNames, ['-1', '2.5', '10']);
  assert.deepEqual([...table.labels], [2, 0, 1, 2]);
  const fixed = parseCsv('1,b\n2,a\n', { classNames: ['b', 'a', 'c'] });
  assert.deepEqual([...fixed.labels], [0, 1]);
  assert.deepEqual(fixed.classNames, ['b', 'a', 'c']);
  assert.throws(() => parseCsv('1,b\n2,z\n', { classNames: ['a', 'b'] }, 'f.csv'), throwsFormat(/f.csv line 2: label "z" is not one of the class names a, b/));
});

test('skipLines, other delimiters, quoted cells', () => {
  const table = parseCsv('569,30,x,y\n# comment-like preamble\n"1";"2";"a"\n3;4;b\n', { skipLines: 2, delimiter: ';' });
  assert.deepEqual([...table.features], [1, 2, 3, 4]);
  assert.deepEqual(table.classNames, ['a', 'b']);
});

test('ragged rows report the line and both widths', () => {
  assert.throws(() => parseCsv('a,b,c\n1,2,0\n\n3,4\n', { header: true }, 'r.csv'), throwsFormat(/^r.csv line 4: 2 columns, expected 3 \(as on line 1\)$/));
  assert.throws(() => parseCsv('1,2,0\n3,4,5,1\n', {}, 'r.csv'), throwsFormat(/^r.csv line 2: 4 columns, expected 3 \(as on line 1\)$/));
});

test('non-numeric feature cells report line, column and cell', () => {
  assert.throws(() => parseCsv('a,b,y\n1,2,0\n3,x4,1\n', { header: true }, 'n.csv'), throwsFormat(/^n.csv line 3, column 2 \("b"\): "x4" is not a number$/));
  assert.throws(() => parseCsv('1,,0\n', {}, 'n.csv'), throwsFormat(/line 1, column 2: "" is not a number/));
  assert.throws(() => parseCsv('1,0x10,0\n', {}, 'n.csv'), throwsFormat(/"0x10" is not a number/));
  assert.throws(() => parseCsv('1,2,0\n1e39,2,1\n', {}, 'big.csv'), throwsFormat(/^big.csv line 2, column 1: 1e39 is beyond the float32 range \(about ±3.4e38\)/));
  assert.equal(parseCsv('3e38,2,0\n-3e38,2,1\n', {}, 'edge.csv').features[0], Math.fround(3e38));
  assert.throws(() => parseCsv('1,1e999,0\n', {}, 'n.csv'), throwsFormat(/"1e999" is not a number/));
  assert.throws(() => parseCsv('1,NaN,0\n', {}, 'n.csv'), throwsFormat(/"NaN" is not a number/));
  assert.throws(() => parseCsv('1,2,\n', {}, 'n.csv'), throwsFormat(/n.csv line 1: the label cell is empty/));
});

test('missing label column: unknown name, index out of range, a name without a header', () => {
  assert.throws(() => parseCsv('a,b\n1,0\n', { header: true, label: 'class' }, 'm.csv'), throwsFormat(/m.csv: no label column "class" in the header \(line 1\): "a", "b"/));
  assert.throws(() => parseCsv('1,0\n', { label: 2 }, 'm.csv'), throwsFormat(/m.csv: no label column 2: line 1 has 2 columns/));
  assert.throws(() => parseCsv('1,0\n', { label: -3 }, 'm.csv'), throwsFormat(/no label column -3/));
  assert.throws(() => parseCsv('1,0\n', { label: 'class' }, 'm.csv'), (e: Error) => e instanceof AffinityConfigError && /needs header: true/.test(e.message));
});

test('empty files, header-only files, a single column, broken quoting', () => {
  assert.throws(() => parseCsv('', {}, 'e.csv'), throwsFormat(/^e.csv: empty, no data rows$/));
  assert.throws(() => parseCsv('\n\n', {}, 'e.csv'), throwsFormat(/e.csv: empty, no data rows/));
  assert.throws(() => parseCsv('a,b\n', { header: true }, 'e.csv'), throwsFormat(/e.csv: empty, no data rows after the header/));
  assert.throws(() => parseCsv('1\n2\n', {}, 'e.csv'), throwsFormat(/line 1 has 1 column; need features and a label/));
  assert.throws(() => parseCsv('1,2\n"3,4\n', {}, 'q.csv'), throwsFormat(/q.csv line 2: Quote Not Closed/));
  assert.throws(() => parseCsv('1,2\n', { skipLines: -1 }), AffinityConfigError);
});

test('readCsv reads plain and gzipped files; a missing file is DatasetNotFoundError', async () => {
  const text = 'f1,f2,label\n0.5,1,yes\n2,3,no\n';
  const plain = join(folder, 'plain.csv');
  const zipped = join(folder, 'zipped.csv.gz');
  writeFileSync(plain, text);
  writeFileSync(zipped, gzipSync(text));
  const a = await readCsv(plain, { header: true });
  assert.deepEqual(await readCsv(zipped, { header: true }), a);
  assert.deepEqual([...a.labels], [1, 0]);
  const empty = join(folder, 'empty.csv');
  writeFileSync(empty, '');
  await assert.rejects(readCsv(empty), throwsFormat(new RegExp(`${empty}: empty, no data rows`)));
  await assert.rejects(readCsv(join(folder, 'missing.csv')), DatasetNotFoundError);
});

test('200,000 rows of integer labels: no stack overflow finding the largest id', () => {
  const rows = 200_000;
  const text = Array.from({ length: rows }, (_, row) => `${row % 13}.5,${row % 10}`).join('\n');
  const table = parseCsv(text);
  assert.equal(table.count, rows);
  assert.deepEqual(table.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(table.labels[rows - 1], (rows - 1) % 10);
  assert.equal(table.features[12], 12.5);
});

test('a stray integer label far above the others is refused, naming its line and value', () => {
  const stray = '1,0\n2,1\n3,2\n4,1000000\n5,1\n';
  assert.throws(
    () => parseCsv(stray, {}, 's.csv'),
    throwsFormat(/^s.csv line 4: label 1000000 would make 1000001 classes .* from only 4 distinct labels; .*pass classNames/),
  );
  // Gaps up to twice the distinct labels are allowed: a class absent from this file stays a class.
  assert.deepEqual(parseCsv('1,0\n2,2\n3,5\n').classNames, ['0', '1', '2', '3', '4', '5']);
  assert.throws(() => parseCsv('1,0\n2,2\n3,6\n', {}, 'g.csv'), throwsFormat(/g.csv line 3: label 6 would make 7 classes/));
  // With classNames the labels are names, not ids, so nothing is inferred.
  assert.deepEqual([...parseCsv(stray, { classNames: ['0', '1', '2', '1000000'] }).labels], [0, 1, 2, 3, 1]);
});
