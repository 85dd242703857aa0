/**
 * The URL of another module of this package, for worker threads and dynamic imports that need
 * a file rather than an import: `.ts` when the sources run through tsx, `.js` once built.
 */
import { extname } from 'node:path';

/** `stem` (a path without extension, relative to `base`) with `base`'s own extension, as a file URL. */
export function siblingModule(stem: string, base: string): string {
  return new URL(`${stem}${extname(new URL(base).pathname)}`, base).href;
}
