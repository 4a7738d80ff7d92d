import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '..');

// Real servers and real tools: tests run in forked processes, one file per fork, generous timeouts.
export default defineConfig({
  root,
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'engine', include: ['tests/engine/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], environment: 'node', fileParallelism: false } },
      { extends: true, test: { name: 'electron', include: ['tests/electron/**/*.test.ts'], environment: 'node', fileParallelism: false } },
      // Fault injection and bad input: a fast tier in `npm test`, the full tier in `npm run test:faults`.
      { extends: true, test: { name: 'faults', include: ['tests/faults/**/*.test.ts'], environment: 'node', testTimeout: 180_000 } },
    ],
  },
});
