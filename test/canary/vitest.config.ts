import { defineConfig } from 'vitest/config';

/** `npm run test:canary` must exit 1: see fails.test.ts. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    globalSetup: ['./test/support/global-setup.ts'],
    include: ['test/canary/**/*.test.ts'],
  },
});
