// ESLint flat config for the whole monorepo: typescript-eslint with type information (each file is
// checked against its package's tsconfig.json through the project service). Every package's
// `npm run lint` runs `eslint src` with this file. The promise rules are errors (a floating promise
// is a lost error or a race); the unsafe-`any` rules are warnings until the remaining ones are typed.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/test-artifacts/**', '**/coverage/**', '.tools/**', '.turbo/**'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    // The code carries disable comments for rules this config does not turn on (yet).
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: true, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unsafe-argument': 'warn',
      '@typescript-eslint/no-unsafe-assignment': 'warn',
      '@typescript-eslint/no-unsafe-call': 'warn',
      '@typescript-eslint/no-unsafe-member-access': 'warn',
      '@typescript-eslint/no-unsafe-return': 'warn',
    },
  },
);
