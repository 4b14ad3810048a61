// One lint configuration for the whole tree: typescript-eslint's recommended rules,
// formatting left to Prettier (eslint-config-prettier switches off the rules that would
// fight it), and the type-aware promise rules on package sources, where a forgotten
// `await` on a device read or a file write is a real bug.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'runs/**',
      'coverage/**',
      '**/*.d.ts',
      '**/fixtures/**',
      // bundles built for a GPU machine by benchmarks/device/prepare-webgpu-h100.sh
      'benchmarks/device/webgpu-carry/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // CommonJS on purpose (a native addon's loader, required synchronously).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
);
