// The Ledger contract against the embedded SQLite ledger in a temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createSqliteLedger } from "../../src/ledger/index.js";
import { ledgerConformance } from "./ledger.suite.js";

ledgerConformance("sqlite", async (clock) => {
  const home = mkdtempSync(join(tmpdir(), "agov-ledger-"));
  const ledger = createSqliteLedger({ home, clock });
  return {
    ledger,
    other: async () => createSqliteLedger({ home, clock }),
    tamper: async (sql) => {
      const db = new Database(join(home, "ledger.db"));
      db.exec(sql);
      db.close();
    },
    cleanup: async () => {
      await ledger.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
});
