import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteState } from "../../src/state/sqlite.js";
import { randomIds } from "../../src/util/clock.js";
import { stateConformance } from "./state.suite.js";

stateConformance("sqlite", async (clock) => {
  const home = mkdtempSync(join(tmpdir(), "agov-state-"));
  const store = createSqliteState({ home, clock, ids: randomIds });
  return {
    store,
    other: async () => createSqliteState({ home, clock, ids: randomIds }),
    cleanup: async () => {
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
});
