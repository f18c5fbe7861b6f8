// audit query at scale: every single filter is answered from an index (EXPLAIN QUERY PLAN), and
// `since` gives the same rows whichever way it is answered. Durations are in bench/ledger-scale.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ActionQuery, createSqliteLedger } from "../../src/ledger/index.js";
import { createLedgerQuery } from "../../src/ledger/query.js";
import { manualClock } from "../../src/util/clock.js";

let home: string;
let db: Database.Database;
const START = Date.parse("2026-01-01T00:00:00Z");
const at = (s: number) => new Date(START + s * 1000).toISOString();

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "agov-query-"));
  const clock = manualClock(START);
  const ledger = createSqliteLedger({ home, clock });
  for (let i = 0; i < 40; i++) {
    // Every tenth row is stamped 20 s early, as a process whose row commits late would stamp it.
    clock.set(START + (i % 10 === 9 ? i - 20 : i) * 1000);
    await ledger.record(
      {
        kind: i % 4 === 0 ? "session" : "tool_call",
        agent_id: `a${i % 3}`,
        action: "tools/call",
        decision: i % 5 === 0 ? "deny" : "allow",
        tool: `t${i % 2}`,
        session_id: `s${i % 7}`,
      },
      { success: true },
    );
  }
  await ledger.close();
  db = new Database(join(home, "ledger.db"));
});
afterAll(() => {
  db.close();
  rmSync(home, { recursive: true, force: true });
});

const SINGLE: Array<[string, ActionQuery]> = [
  ["agent_id", { agent_id: "a1" }],
  ["tool", { tool: "t1" }],
  ["decision", { decision: "deny" }],
  ["kind", { kind: "tool_call" }],
  ["session_id", { session_id: "s3" }],
];

describe("audit query plans", () => {
  it.each(SINGLE)("answers a %s filter from its index, in id order", (_name, q) => {
    const { plan } = createLedgerQuery(db).explain({ ...q, limit: 50 });
    expect(plan.join("\n")).toMatch(/USING INDEX agent_actions_\w+ \(\w+=\?\)/);
    expect(plan.join("\n")).not.toMatch(/SCAN agent_actions|TEMP B-TREE/);
  });

  it("answers a since that few rows match from the time index, never scanning the table", () => {
    const { plan } = createLedgerQuery(db).explain({ since: at(35), limit: 50 });
    expect(plan.join("\n")).toMatch(/COVERING INDEX agent_actions_time \(timestamp>\?\)/);
    expect(plan.join("\n")).not.toMatch(/SCAN agent_actions/);
  });

  it("walks ids newest first for a since that many rows match, and for no filter", () => {
    // Stopping at the limit is what makes these fast: no sort of the whole table first.
    for (const q of [{ since: at(0) }, {}]) {
      const { plan } = createLedgerQuery(db, { sinceFew: 5 }).explain({ ...q, limit: 50 });
      expect(plan.join("\n")).not.toMatch(/TEMP B-TREE|agent_actions_time/);
    }
  });

  it("gives the same rows for since whichever way it is answered, even out of time order", () => {
    const few = createLedgerQuery(db, { sinceFew: 1000 });
    const many = createLedgerQuery(db, { sinceFew: 0 });
    for (const q of [
      { since: at(25), limit: 5 },
      { since: at(25), limit: 50, newest_first: false },
      { since: at(10), agent_id: "a0", limit: 3 },
    ]) {
      const ids = many.run(q).map((r) => r.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(few.run(q).map((r) => r.id)).toEqual(ids);
    }
    expect(few.run({ since: at(100) })).toEqual([]);
    // Row 30 (index 29) was stamped at 9 s, so since 25 s leaves it out although later rows match.
    expect(few.run({ since: at(25), limit: 50 }).map((r) => r.id)).not.toContain(30);
    expect(few.run({ since: at(25), limit: 50 }).map((r) => r.id)).toContain(29);
  });
});
