// Backbones, heads and the methods compared: a classifier for a method name, ready to train.
export { BACKBONE_NAMES, BACKBONES, BATCHNORM_MOMENTUM, needsImages, type BackboneName, type BackboneOptions } from './backbones.js';
export { METHOD_NAMES, METHODS, requireMethodName, type MethodName, type HeadKind } from './methods.js';
export { buildClassifier, defaultSigma, type ClassifierOptions, type Classifier, type EpochStartHook } from './build.js';
