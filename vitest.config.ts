import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code and local I/O, seconds) and `e2e` (real kube-apiserver, etcd, moto,
// OpenBao started once by the harness's global setup). `npm test` runs both.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,eso,injector,agent,webhook,cli,test/unit}/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/e2e/**'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
