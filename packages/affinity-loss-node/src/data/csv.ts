/**
 * Reader of classification tables in CSV: numeric feature columns and one label column,
 * chosen by name or index (default: the last). Parsing is csv-parse's (quotes, CRLF); this
 * file checks the shape and turns cells into a Float32Array and class ids. Errors give the
 * line number in the file.
 */
import { parse, type CsvError } from 'csv-parse/sync';
import { AffinityConfigError, DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { MAX_CLASS_IDS_PER_DISTINCT_LABEL, requireInteger } from 'affinity-loss/internal/validate.js';
import { readDataFile } from './files.js';

/** Options of `parseCsv` and `readCsv`. */
export interface CsvOptions {
  /**
   * The label column: a name from the header row, or an index (negative counts from the end,
   * -1 is the last column). Default -1.
   */
  label?: string | number;
  /** The first row read holds column names. Default false. */
  header?: boolean;
  /** Lines to skip before the header or the first row (a preamble such as sklearn's count line). Default 0. */
  skipLines?: number;
  /** Field delimiter. Default ','. */
  delimiter?: string;
  /**
   * The class names in id order: a label cell must equal one of them and gets its index. When
   * absent, ids come from the labels (see `CsvTable.classNames`).
   */
  classNames?: string[];
}

/** A parsed table: features row-major, labels as class ids, and the label mapping. */
export interface CsvTable {
  /** count x featureCount float32 values, row-major, in column order without the label column. */
  features: Float32Array;
  /** Class id of each row. */
  labels: Int32Array;
  /** Number of data rows. */
  count: number;
  /** Feature columns per row. */
  featureCount: number;
  /** Names of the feature columns (from the header, or `column <i>` without one). */
  featureNames: string[];
  /**
   * Class names in id order: `classNames[id]` is the label text of class `id`. Without the
   * `classNames` option: when every label is a plain non-negative integer (`0`, `7`), the id is
   * that integer and the names are '0'..String(max) (a missing integer leaves an empty class;
   * more than max + 1 > 2 x the distinct labels is refused as not class ids);
   * otherwise the distinct labels are sorted (numerically when all are numbers, else by code
   * unit) and numbered from 0.
   */
  classNames: string[];
  /** The same mapping the other way: label text to class id. */
  labelIds: Map<string, number>;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const PLAIN_INTEGER = /^(0|[1-9]\d*)$/;

function resolveLabelColumn(file: string, label: string | number, names: string[] | undefined, width: number, line: number): number {
  if (typeof label === 'string') {
    if (names === undefined) {
      throw new AffinityConfigError(`${file}: label column ${JSON.stringify(label)} is a name, which needs header: true`);
    }
    const index = names.indexOf(label);
    if (index < 0) {
      throw new DatasetFormatError(
        `${file}: no label column ${JSON.stringify(label)} in the header (line ${line}): ${names.map((n) => JSON.stringify(n)).join(', ')}`,
      );
    }
    return index;
  }
  if (!Number.isInteger(label)) throw new AffinityConfigError(`label column index must be an integer, got ${label}`);
  const index = label < 0 ? width + label : label;
  if (index < 0 || index >= width) {
    throw new DatasetFormatError(`${file}: no label column ${label}: line ${line} has ${width} columns`);
  }
  return index;
}

function mapLabels(file: string, cells: string[], lines: number[], classNames: string[] | undefined) {
  const labelIds = new Map<string, number>();
  const labels = new Int32Array(cells.length);
  if (classNames !== undefined) {
    classNames.forEach((name, id) => labelIds.set(name, id));
    cells.forEach((cell, row) => {
      const id = labelIds.get(cell);
      if (id === undefined) {
        throw new DatasetFormatError(`${file} line ${lines[row]}: label ${JSON.stringify(cell)} is not one of the class names ${classNames.join(', ')}`);
      }
      labels[row] = id;
    });
    return { labels, classNames: [...classNames], labelIds };
  }
  if (cells.every((cell) => PLAIN_INTEGER.test(cell))) {
    // A loop, not Math.max(...values): spreading one argument per row overflows the stack
    // near 100k rows.
    const seen = new Set<number>();
    let largest = -1;
    let largestRow = 0;
    cells.forEach((cell, row) => {
      const value = Number(cell);
      seen.add(value);
      if (value > largest) {
        largest = value;
        largestRow = row;
      }
    });
    // Integer labels are taken as class ids 0..max; one stray id (1000000 among 0-9) would
    // otherwise make a million empty classes and a model head to match.
    if (largest + 1 > MAX_CLASS_IDS_PER_DISTINCT_LABEL * seen.size) {
      throw new DatasetFormatError(
        `${file} line ${lines[largestRow]}: label ${cells[largestRow]} would make ${largest + 1} classes (integer labels are ` +
          `class ids 0..max) from only ${seen.size} distinct labels; integer labels must be class ids 0..K-1 with few gaps, ` +
          'or pass classNames to map label texts to ids',
      );
    }
    cells.forEach((cell, row) => (labels[row] = Number(cell)));
    const names = Array.from({ length: largest + 1 }, (_, id) => String(id));
    names.forEach((name, id) => labelIds.set(name, id));
    return { labels, classNames: names, labelIds };
  }
  const distinct = [...new Set(cells)];
  if (distinct.every((cell) => NUMBER.test(cell))) distinct.sort((a, b) => Number(a) - Number(b));
  else distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  distinct.forEach((name, id) => labelIds.set(name, id));
  cells.forEach((cell, row) => (labels[row] = labelIds.get(cell)!));
  return { labels, classNames: distinct, labelIds };
}

/**
 * Parses CSV text into a table.
 *
 * @param file names the source in error messages.
 * @throws DatasetFormatError on an empty table, ragged rows, non-numeric feature cells, a
 *   missing label column, malformed CSV (unclosed quotes), or integer labels too sparse to be
 *   class ids (max + 1 > 2 x the number of distinct labels, without `classNames`), naming the line.
 */
export function parseCsv(text: string | Uint8Array, options: CsvOptions = {}, file = 'CSV input'): CsvTable {
  const skipLines = requireInteger('skipLines', options.skipLines ?? 0, 0);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter: options.delimiter ?? ',',
      from_line: skipLines + 1,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (error) {
    const csvError = error as CsvError & { lines?: number };
    throw new DatasetFormatError(`${file}${csvError.lines === undefined ? '' : ` line ${csvError.lines}`}: ${csvError.message}`);
  }
  let names: string[] | undefined;
  let headerLine = 0;
  if (options.header === true && records.length > 0) {
    const first = records.shift()!;
    names = first.record;
    headerLine = first.info.lines;
  }
  if (records.length === 0) {
    throw new DatasetFormatError(`${file}: empty, no data rows${names === undefined ? '' : ' after the header'}`);
  }
  const width = names?.length ?? records[0].record.length;
  const widthLine = names === undefined ? records[0].info.lines : headerLine;
  const labelColumn = resolveLabelColumn(file, options.label ?? -1, names, width, widthLine);
  if (width < 2) throw new DatasetFormatError(`${file}: line ${widthLine} has ${width} column; need features and a label`);
  const featureCount = width - 1;
  const features = new Float32Array(records.length * featureCount);
  const labelCells: string[] = [];
  const lines: number[] = [];
  records.forEach(({ record, info }, row) => {
    if (record.length !== width) {
      throw new DatasetFormatError(`${file} line ${info.lines}: ${record.length} columns, expected ${width} (as on line ${widthLine})`);
    }
    let j = row * featureCount;
    for (let column = 0; column < width; column++) {
      const cell = record[column];
      if (column === labelColumn) continue;
      const value = Number(cell);
      const name = () => (names === undefined ? `column ${column + 1}` : `column ${column + 1} (${JSON.stringify(names[column])})`);
      if (!NUMBER.test(cell) || !Number.isFinite(value)) {
        throw new DatasetFormatError(`${file} line ${info.lines}, ${name()}: ${JSON.stringify(cell)} is not a number`);
      }
      features[j] = value;
      // Features are float32: 1e39 would become Infinity there, and every loss NaN.
      if (!Number.isFinite(features[j++])) {
        throw new DatasetFormatError(`${file} line ${info.lines}, ${name()}: ${cell} is beyond the float32 range (about ±3.4e38) the features are stored in`);
      }
    }
    if (record[labelColumn] === '') throw new DatasetFormatError(`${file} line ${info.lines}: the label cell is empty`);
    labelCells.push(record[labelColumn]);
    lines.push(info.lines);
  });
  const featureNames = (names ?? Array.from({ length: width }, (_, column) => `column ${column + 1}`)).filter(
    (_, column) => column !== labelColumn,
  );
  return { features, count: records.length, featureCount, featureNames, ...mapLabels(file, labelCells, lines, options.classNames) };
}

/** Reads a CSV file (gzipped or not, detected by content) into a table; see `parseCsv`. */
export async function readCsv(path: string, options: CsvOptions = {}, notFoundHint = ''): Promise<CsvTable> {
  return parseCsv(await readDataFile(path, notFoundHint), options, path);
}
