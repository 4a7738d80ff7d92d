// Static renderer build: `vite build --config renderer/vite.config.ts` → out/renderer (loaded from file:// in Electron).
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(root, '..', 'out', 'renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    // The polyfill would be an inline script; Chromium has modulepreload natively.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { strictPort: true },
});
