// ESLint (flat config) for the browser half: the ES modules under static/js, and the Node tests under tests/js.
// `make lint` runs it beside ruff; the vendored runtimes (static/ort, static/tfjs) are other projects' builds.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['static/ort/**', 'static/tfjs/**', 'node_modules/**', '.venv/**'] },
  js.configs.recommended,
  {
    files: ['static/js/**/*.js'],
    languageOptions: { ecmaVersion: 2025, sourceType: 'module', globals: { ...globals.browser, ...globals.worker } },
  },
  {  // the class poll's join page and the lecture's class page: ES modules of their own
    files: ['static/poll/**/*.js', 'static/class/**/*.js'],
    languageOptions: { ecmaVersion: 2025, sourceType: 'module', globals: { ...globals.browser } },
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] },  // its own `status`, not window.status
  },
  {
    files: ['tests/js/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2025, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    rules: {
      'no-unused-vars': ['error', { args: 'none' }],
      'prefer-const': 'error',
      'no-var': 'error',
      eqeqeq: ['error', 'always'],
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      quotes: ['error', 'single', { avoidEscape: true }],
      semi: ['error', 'always'],
      'comma-dangle': ['error', 'always-multiline'],
      'no-trailing-spaces': 'error',
      'eol-last': 'error',
    },
  },
];
