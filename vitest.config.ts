import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Test layout: `*.test.ts` beside the code. Suites that need root or kernel features are named
 * `*.root.test.ts` and suites that run for minutes `*.slow.test.ts`; both still run in `npm test`
 * (CI is root) and can be run alone with `--project root` / `--project slow`.
 * The `hypermesh-source` condition resolves `@hypermesh/*` to each package's TypeScript source,
 * so tests never depend on a stale build.
 */
const conditions = ['hypermesh-source', ...defaultServerConditions];
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['hypermesh-source'] } },
};
const include = ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'];

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include,
          exclude: ['**/*.root.test.ts', '**/*.slow.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'slow',
          include: include.map((p) => p.replace('*.test.ts', '*.slow.test.ts')),
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'root',
          include: include.map((p) => p.replace('*.test.ts', '*.root.test.ts')),
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // root suites share kernel state (bpffs, qdiscs): run them one file at a time
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
