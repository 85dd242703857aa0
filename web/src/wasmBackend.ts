/**
 * The wasm backend, in its own chunk: its JavaScript and its binaries are fetched only when
 * WebGL is missing. Vite copies the three .wasm files into the build (the `?url` imports) and
 * `setWasmPaths` points tfjs at them; without it tfjs would look next to the script, under the
 * original file names. The threaded binary needs cross-origin isolation, which a plain static
 * server does not give, so tfjs picks the SIMD one (or the plain one on old browsers).
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** Registers the wasm backend (importing this module did) and tells it where its binaries are. */
export function registerWasmBackend(): void {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': plainUrl,
    'tfjs-backend-wasm-simd.wasm': simdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedUrl,
  });
}
