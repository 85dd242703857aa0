// The fast training backend for Node: backend selection and the gradient fixes that let wasm train fast.
export { useNodeBackend, preferredBackend, type NodeBackendName, type NodeBackendOptions, type NodeBackendInfo, type NodeWorkload } from './backend.js';
export { installGradientFixes, removeGradientFixes, gradientFixesInstalled } from 'tfjs-wasm-training';
