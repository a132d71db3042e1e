import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The systemd lab tests boot real systemd instances; keep them from competing for the 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
