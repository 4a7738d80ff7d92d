import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = path.resolve(import.meta.dirname, '..');

// Three targets: main (ESM, dependencies external), sandboxed preload (one CommonJS file), renderer.
export default defineConfig({
  main: {
    build: {
      outDir: path.join(root, 'out/main'),
      externalizeDeps: true,
      // Worker threads are entries of their own: tunnel-thread.ts starts out/main/tunnel-worker.js,
      // archive-thread.ts out/main/archive-worker.js.
      rollupOptions: {
        input: {
          index: path.join(root, 'main/index.ts'),
          'tunnel-worker': path.join(root, 'main/engine/tunnel/tunnel-worker.ts'),
          'archive-worker': path.join(root, 'main/engine/archive/archive-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: path.join(root, 'out/preload'),
      externalizeDeps: false,
      rollupOptions: {
        input: { index: path.join(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: path.join(root, 'renderer'),
    plugins: [react()],
    build: {
      outDir: path.join(root, 'out/renderer'),
      rollupOptions: { input: { index: path.join(root, 'renderer/index.html') } },
    },
  },
});
