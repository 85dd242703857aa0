/**
 * Image bytes to float32 in [0, 1] (byte / 255), shared by the IDX and CIFAR readers so both
 * scale pixels by the same table.
 */

/** byte / 255 for every byte value, computed once: a conversion loop is then a table lookup. */
export const BYTE_TO_UNIT: Readonly<Float32Array> = Float32Array.from({ length: 256 }, (_, byte) => byte / 255);

// Converts bytes [start, end) of one chunk. A small function called per chunk is optimised by
// V8 after a few calls; one loop over 47M bytes runs unoptimised until on-stack replacement.
function convertChunk(bytes: Uint8Array, out: Float32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) out[i] = BYTE_TO_UNIT[bytes[i]];
}

const CHUNK = 1 << 16;

/** Bytes to float32 in [0, 1] (byte / 255), in the same order. */
export function bytesToUnitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let start = 0; start < bytes.length; start += CHUNK) {
    convertChunk(bytes, out, start, Math.min(bytes.length, start + CHUNK));
  }
  return out;
}
