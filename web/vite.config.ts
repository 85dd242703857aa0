/**
 * Vite config of the web demo. The library is imported as 'affinity-loss', aliased to its
 * browser-safe root entry in ../packages/affinity-loss/src, so the demo uses exactly the public API a user gets.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset URLs: the built folder works from any sub-path (GitHub Pages, a file server).
  base: './',
  // Build-time assets (the image sets from scripts/prepare-demo-data.ts), git-ignored.
  publicDir: here('generated'),
  resolve: {
    alias: { 'affinity-loss': here('../packages/affinity-loss/src/index.ts') },
  },
  server: {
    // The library's sources live outside the app's root.
    fs: { allow: [here('..')] },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // TensorFlow.js is most of the bundle (about 1.5 MB minified, 300 KB gzipped); one chunk is fine.
    chunkSizeWarningLimit: 2000,
  },
});
