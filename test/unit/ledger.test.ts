import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createSqliteLedger } from "../../src/ledger/index.js";
import { manualClock } from "../../src/util/clock.js";
import { argsDigest } from "../../src/util/json.js";

function ledgerWithRows(n: number) {
  const home = mkdtempSync(join(tmpdir(), "agov-ledger-"));
  const ledger = createSqliteLedger({ home, clock: manualClock() });
  for (let i = 0; i < n; i++) {
    const id = ledger.append({
      agent_id: `a${i % 2}`,
      tier: 1,
      action: "tools/call",
      decision: "allow",
      tool: "lock_acquire",
      session_id: "s",
      args_digest: argsDigest({ i }),
    });
    ledger.complete(id, { success: true, latency_us: 10 + i });
  }
  ledger.append(
    { agent_id: "a0", tier: 0, action: "tools/call", decision: "deny", tool: "lock_acquire" },
    { success: false, error_type: "DENIED", error_message: "no" },
  );
  return { home, ledger, file: join(home, "ledger.db") };
}

const COLUMNS = [
  "timestamp",
  "agent_id",
  "agent_version",
  "tier",
  "action",
  "decision",
  "confidence",
  "success",
  "error_type",
  "error_message",
  "tool",
  "session_id",
  "args_digest",
  "latency_us",
  "prev_hash",
  "entry_hash",
  "hash",
];

describe("ledger hash chain", () => {
  it("verifies an untouched ledger, including completed outcomes", () => {
    const { ledger } = ledgerWithRows(5);
    expect(ledger.verify()).toEqual({ ok: true, rows: 6 });
  });

  it.each(COLUMNS)("detects an edit of column %s and names the row", (column) => {
    const { ledger, file } = ledgerWithRows(5);
    const db = new Database(file);
    const value =
      column === "tier" ||
      column === "latency_us" ||
      column === "success" ||
      column === "confidence"
        ? 7
        : "tampered";
    db.prepare(`UPDATE agent_actions SET ${column} = ? WHERE id = 3`).run(value);
    db.close();
    const r = ledger.verify();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.bad_row).toBe(3);
  });

  it("detects a deleted row in the middle and at the end", () => {
    const a = ledgerWithRows(5);
    let db = new Database(a.file);
    db.prepare("DELETE FROM agent_actions WHERE id = 2").run();
    db.close();
    expect(a.ledger.verify()).toMatchObject({ ok: false, bad_row: 2 });

    const b = ledgerWithRows(5);
    db = new Database(b.file);
    db.prepare("DELETE FROM agent_actions WHERE id = 6").run();
    db.close();
    expect(b.ledger.verify()).toMatchObject({ ok: false, bad_row: 6 });
  });

  it("digests arguments canonically with secrets redacted", () => {
    expect(argsDigest({ b: 1, a: 2 })).toBe(argsDigest({ a: 2, b: 1 }));
    expect(argsDigest({ api_key: "one", x: 1 })).toBe(argsDigest({ api_key: "two", x: 1 }));
    expect(argsDigest({ x: 1 })).not.toBe(argsDigest({ x: 2 }));
  });

  it("filters queries by agent, tool and decision", () => {
    const { ledger } = ledgerWithRows(4);
    expect(ledger.query({ decision: "deny" }).map((r) => r.id)).toEqual([5]);
    expect(ledger.query({ agent_id: "a1" }).every((r) => r.agent_id === "a1")).toBe(true);
    expect(ledger.query({ agent_id: "a1" })).toHaveLength(2);
    expect(ledger.query({ tool: "nope" })).toEqual([]);
    expect(ledger.query({ limit: 2 })).toHaveLength(2);
  });
});
