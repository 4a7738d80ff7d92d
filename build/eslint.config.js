// Layering is enforced here: the engine never imports Electron, raw IPC lives in two wrappers only,
// and the renderer reaches Node only through window.api.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const RENDERER_IMPORTS = {
  paths: [{ name: 'electron', message: 'The renderer talks to window.api through the zustand stores.' }],
  patterns: [
    { group: ['node:*'], message: 'The renderer has no Node: go through window.api.' },
    // Types from main/ (from main/engine only model/'s, see the next pattern); values only from the
    // data-only files (contract, engine types) and name-text.ts (pure string functions, no imports: the
    // CLI and the UI escape names alike), and restore/trust-phrase.ts (the words a user types to trust
    // a file, checked by the engine). The rest of main/engine is left to the next pattern: a type-only
    // import that matches a pattern with allowTypeImports is exempt from every pattern.
    { regex: '(^|/)main/(?!ipc/contract\\.ts$|engine/types\\.ts$|engine/name-text\\.ts$|engine/restore/trust-phrase\\.ts$|engine/(?!model/))', allowTypeImports: true, message: 'The renderer may import only types from main/ (values only from main/ipc/contract.ts, main/engine/types.ts, main/engine/name-text.ts and main/engine/restore/trust-phrase.ts).' },
    // From main/engine, types only from the model layer (main/engine/model/, which main/ipc/contract.ts
    // re-exports): no other engine file, not even for a type. The three data-only files above stay allowed.
    { regex: '(^|/)main/engine/(?!model/|types\\.ts$|name-text\\.ts$|restore/trust-phrase\\.ts$)', message: 'From main/engine the renderer may import only types from main/engine/model/ (better: through main/ipc/contract.ts), and values only from main/engine/types.ts, main/engine/name-text.ts and main/engine/restore/trust-phrase.ts.' },
  ],
};

// One path from the screens to main: components call store actions, and only renderer/stores/ reaches window.api.
const STORES_ONLY = 'Only renderer/stores/ calls main: add an action to a store (renderer/stores/) and call that.';

const RAW_IPC = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message: 'Raw IPC is only allowed in main/ipc/typed-ipc.ts and preload/index.ts; add a channel to main/ipc/contract.ts instead.',
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'tests/.artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [RAW_IPC] }],
    },
  },
  {
    files: ['main/engine/**', 'main/cli/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'main/engine and the CLI are pure Node: pass what you need from Electron in through a port (main/engine/ports.ts).' }],
          patterns: [{ group: ['electron/*', '**/ipc/typed-ipc*', '**/platform/**', '**/window*', '**/menu*'], message: 'The engine must not depend on the Electron shell.' }],
        },
      ],
    },
  },
  {
    files: ['main/ipc/typed-ipc.ts', 'preload/index.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { '@typescript-eslint/no-restricted-imports': ['error', RENDERER_IMPORTS] },
  },
  {
    files: ['renderer/**'],
    ignores: ['renderer/stores/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { ...RENDERER_IMPORTS, patterns: [...RENDERER_IMPORTS.patterns, { group: ['**/stores/unwrap', '**/stores/unwrap.ts'], importNames: ['api'], message: STORES_ONLY }] },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name=/^(window|globalThis|self)$/][property.name='api']", message: STORES_ONLY },
        { selector: "MemberExpression[object.name=/^(window|globalThis|self)$/][computed=true][property.value='api']", message: STORES_ONLY },
      ],
      'no-restricted-globals': ['error', { name: 'api', message: STORES_ONLY }],
    },
  },
  {
    // Build configuration runs in Node, not in the page.
    files: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
