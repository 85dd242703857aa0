/** What the wasm training fixes throw when tfjs is not as they expect (a missing kernel, two tfjs copies). */
export class WasmTrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmTrainingError';
  }
}
