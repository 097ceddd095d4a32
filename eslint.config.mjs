import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    // what .gitignore ignores (build output, scratch folders) is never linted
    ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', '.docs-check/**', '**/.tmp/**', '**/coverage/**', '**/*.d.ts', '**/bpf/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Packages meet only through public entries: never reach into another package's files.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@hypermesh/*/src/*', '@hypermesh/*/dist/*', '../../*/src/*', '../../../packages/*'],
              message: 'Import another package only through its public entry (@hypermesh/x).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
