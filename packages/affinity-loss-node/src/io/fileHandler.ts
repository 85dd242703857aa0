/**
 * A `file://` model handler for Node without tfjs-node, in tfjs-node's own layout
 * (a folder holding model.json and weights.bin), so models saved here load with tfjs-node and
 * the other way round. `model.save('file://./run')` and `tf.loadLayersModel('file://./run')`
 * work once `affinity-loss-node` is imported. When tfjs-node is loaded its own handler serves
 * file:// URLs instead, and it loads only from the model.json path
 * (`tf.loadLayersModel('file://./run/model.json')`), which this handler takes too.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { ModelFileError } from 'affinity-loss/internal/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import { createFolder } from './folders.js';

const MODEL_JSON = 'model.json';
/** The weights file beside model.json. */
export const WEIGHTS_BIN = 'weights.bin';

/** Bytes per element of the dtypes a layers model stores unquantized. */
const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Turns `file://path` or a plain path into the absolute folder holding model.json. */
function modelFolder(url: string): string {
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  if (path === '') throw new ModelFileError('empty model path in file:// URL');
  return path.endsWith(MODEL_JSON) ? dirname(resolve(path)) : resolve(path);
}

/**
 * An IOHandler that saves to and loads from a folder (`model.json` + `weights.bin`).
 *
 * @param url `file://folder`, a plain folder path, or a path to a model.json (load only).
 */
export function fileSystemHandler(url: string): tf.io.IOHandler {
  const folder = modelFolder(url);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const topology = artifacts.modelTopology;
      if (topology == null || topology instanceof ArrayBuffer) {
        throw new ModelFileError('file:// saves layers models (a JSON topology); this model has none');
      }
      await createFolder(folder, 'model folder');
      const weights = artifacts.weightData === undefined
        ? new ArrayBuffer(0)
        : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: topology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      // Weights first: a model.json on disk always has its complete weights beside it.
      await writeFileAtomic(join(folder, WEIGHTS_BIN), new Uint8Array(weights));
      await writeFileAtomic(join(folder, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(folder, MODEL_JSON);
      const text = (
        await readModelFile(jsonPath, `no model at ${jsonPath}: expected a folder written by model.save('file://...')`)
      ).toString('utf8');
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as tf.io.ModelJSON;
      } catch (error) {
        throw new ModelFileError(`${jsonPath} is not valid JSON (truncated?): ${(error as Error).message}`);
      }
      if (modelJson.modelTopology == null) throw new ModelFileError(`${jsonPath} has no modelTopology`);
      return tf.io.getModelArtifactsForJSON(modelJson, (manifest) => loadWeights(folder, manifest));
    },
  };
}

/** Reads a file of a saved model; a missing file or any other read error is a ModelFileError. */
async function readModelFile(path: string, missingMessage: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileError(missingMessage);
    throw new ModelFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Reads and size-checks every weight file a manifest names. */
async function loadWeights(
  folder: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const file = join(folder, path);
      // model.json names its weight files; a name that climbs out of the folder is refused, so
      // a model file cannot make the loader read arbitrary files.
      const inside = relative(folder, file);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new ModelFileError(`model.json in ${folder} names weight file '${path}' outside its folder`);
      }
      const bytes = await readModelFile(file, `weight file ${file} named in model.json is missing`);
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const data = tf.io.CompositeArrayBuffer.join(buffers);
  const expected = expectedBytes(specs);
  if (expected !== null && expected !== data.byteLength) {
    throw new ModelFileError(
      `weights in ${folder} have ${data.byteLength} bytes but model.json describes ${expected} (truncated or mismatched file)`,
    );
  }
  return [specs, data];
}

/** The byte count the specs describe, or null when a quantized or string weight makes it unknowable up front. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_ELEMENT[spec.dtype];
    if (spec.quantization !== undefined || bytes === undefined) return null;
    total += bytes * spec.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * Registers the file:// save and load routers. They step aside for another handler of file://
 * URLs (tfjs-node's, which useNodeBackend may load after this one registered): two handlers for
 * one URL make tfjs refuse to save, and both read and write the same layout.
 */
export function registerFileSystemRouter(): void {
  let asking = false;
  // tfjs' IORouter type says it returns a handler, but its registry skips routers that return null.
  const routerFor = (others: (url: string) => tf.io.IOHandler[]) =>
    ((url: string | string[]) => {
      const single = Array.isArray(url) ? url[0] : url;
      if (asking || typeof single !== 'string' || !single.startsWith('file://')) return null;
      // Ask the registry who else serves this URL; while asking, this router answers null.
      asking = true;
      try {
        if (others(single).length > 0) return null;
      } finally {
        asking = false;
      }
      return fileSystemHandler(single);
    }) as (url: string | string[]) => tf.io.IOHandler;
  tf.io.registerSaveRouter(routerFor((url) => tf.io.getSaveHandlers(url)));
  tf.io.registerLoadRouter(routerFor((url) => tf.io.getLoadHandlers(url)));
}
