import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The one-way arrows of DEVELOPERS.md: which of our folders each folder may import.
const rooms = ['store', 'server', 'api', 'client', 'extension', 'webview', 'language', 'cli'];
const mayImport = {
  store: [],
  server: ['store', 'api'],
  api: [],
  client: ['api'],
  extension: ['client', 'api', 'webview'],
  webview: [],
  language: ['api', 'client'],
  cli: ['server', 'store'],
};

const arrowRules = rooms.map((room) => ({
  files: [`src/${room}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: room === 'extension' ? [] : [{ name: 'vscode', message: 'Only src/extension imports vscode.' }],
        patterns: rooms
          .filter((other) => other !== room && !mayImport[room].includes(other))
          .map((other) => ({ group: [`**/${other}/*`, `**/${other}`], message: `src/${room} may not import src/${other} (see DEVELOPERS.md).` })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', 'test/e2e/node_modules/**', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // e2e tests hand functions to playwright's evaluate(), which runs them in the page.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  ...arrowRules,
);
