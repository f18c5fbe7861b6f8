import { defineConfig } from "vitest/config";

// Two projects, both run by `npm test`: the fast one (unit, port conformance, in-process
// integration) and the one that drives real processes (the agov binary, chaos scenarios).
export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    // Most e2e time is spent waiting on the child processes a test starts (agov, redis-server,
    // PostgreSQL): three workers keep both cores busy (measured: 4m11s with the default, 2m28s).
    maxWorkers: 3,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "fast",
          include: ["test/{unit,conformance,integration}/**/*.test.ts"],
          // agov keeps no module-level state, so the files of a worker share its module cache
          // instead of importing every module again per file (the suite: 3m10s before, 2m40s).
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/{e2e,chaos}/**/*.test.ts"],
          // Likewise: the processes a test starts are its own; the test modules are shared.
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
