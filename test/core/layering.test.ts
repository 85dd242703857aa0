// The design's arrows (docs/DESIGN.md): the root entry stays browser-safe, and the core folders
// never import from node/ or cli/. Checked on the source text, so a wrong import fails here
// before it fails in a browser bundle.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Module specifiers a source file imports or re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
}

/** The .ts file a relative specifier names. */
function resolveLocal(from: string, specifier: string): string {
  return resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
}

test('everything the root entry imports, transitively, is browser-safe', () => {
  const seen = new Set<string>();
  const pending = [join(src, 'index.ts')];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      const where = relative(src, file);
      assert.ok(!specifier.startsWith('node:') && !['fs', 'path', 'zlib', 'worker_threads', 'os'].includes(specifier), `${where} imports ${specifier}`);
      if (specifier.startsWith('.')) {
        const target = resolveLocal(file, specifier);
        assert.ok(!relative(src, target).startsWith('node/') && !relative(src, target).startsWith('cli/'), `${where} imports ${specifier}`);
        pending.push(target);
      }
    }
  }
  assert.ok(seen.size > 20, `walked ${seen.size} files`);
});

test('core folders never import from node/ or cli/', () => {
  for (const folder of ['affinity', 'losses', 'metrics', 'data', 'models', 'train']) {
    for (const name of readdirSync(join(src, folder))) {
      const file = join(src, folder, name);
      for (const specifier of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative(src, resolveLocal(file, specifier));
        assert.ok(!target.startsWith('node/') && !target.startsWith('cli/'), `${folder}/${name} imports ${specifier}`);
      }
    }
  }
});

test('arrows point one way: train -> models -> losses/affinity, never back', () => {
  const forbidden: Record<string, string[]> = {
    models: ['train/'],
    affinity: ['train/', 'models/'],
    losses: ['train/', 'models/'],
    metrics: ['train/', 'models/'],
    data: ['train/', 'models/'],
  };
  for (const [folder, targets] of Object.entries(forbidden)) {
    for (const name of readdirSync(join(src, folder))) {
      const file = join(src, folder, name);
      for (const specifier of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = relative(src, resolveLocal(file, specifier));
        assert.ok(!targets.some((t) => target.startsWith(t)), `${folder}/${name} imports ${specifier}`);
      }
    }
  }
});
