/** Round-trips a model through tfjs' in-memory save / load, as model.save + tf.loadLayersModel do. */
import * as tf from '@tensorflow/tfjs';

/** Saves `model` to memory and loads it back. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}
