/**
 * Start-up code of this package's worker threads. Run from the TypeScript sources (tests,
 * `npm run affinity`), a worker thread does not inherit tsx's module hooks in Node 20, so it
 * registers them itself before importing the worker file; the built package imports it directly.
 */

/** The code to `eval` in a new Worker that imports `file` (a file URL). */
export function workerBootstrap(file: string): string {
  if (!file.endsWith('.ts')) return `import(${JSON.stringify(file)});`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file)}); });`;
}
