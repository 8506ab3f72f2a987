import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

// The walls between the rooms (docs/ARCHITECTURE.md): protocol/ imports nothing of ours; sidecar/, web/ and
// aggregator/ import only themselves and protocol/; their tests, and protocol/'s, may also import test/support/,
// and product code never does; scripts/ (the commands a person runs) never import test support.
const ROOMS = ['protocol', 'sidecar', 'web', 'aggregator'];
const OUTSIDE = ['scripts', 'bench', 'deploy', 'nats', 'docs', 'test'];
const TESTS = ['**/*.test.ts', '**/*.spec.ts'];
const walls = (allowTestSupport) => [
  'error',
  {
    zones: ROOMS.map((room) => ({
      target: `./${room}`,
      from: [
        ...(room === 'protocol'
          ? ROOMS.slice(1)
          : ROOMS.filter((other) => other !== room && other !== 'protocol')),
        ...OUTSIDE.filter((dir) => dir !== 'test'),
        ...(allowTestSupport ? ['./test/integration', './test/e2e'] : ['./test']),
      ].map((dir) => (dir.startsWith('./') ? dir : `./${dir}`)),
      message: allowTestSupport
        ? `a test of ${room}/ imports ${room === 'protocol' ? 'protocol/' : `${room}/, protocol/`} and test/support/ only (docs/ARCHITECTURE.md)`
        : room === 'protocol'
          ? 'protocol/ imports nothing of ours (docs/ARCHITECTURE.md)'
          : `${room}/ imports only itself and protocol/ (docs/ARCHITECTURE.md)`,
    })).concat({
      target: './scripts',
      from: './test',
      message: 'scripts/ are commands a person runs: they never import test support (docs/ARCHITECTURE.md)',
    }),
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'dist/', '.svelte-kit/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.svelte'] })],
    },
    rules: { 'import-x/no-restricted-paths': walls(false) },
  },
  { files: TESTS, rules: { 'import-x/no-restricted-paths': walls(true) } },
  {
    files: ['web/**/*.ts', 'web/**/*.svelte', 'web/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser, ...globals.worker },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
    rules: {
      // Links are plain hrefs in this single-page app with no base path.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
);
