// Incremental verify of the embedded ledger when its kept anchors are rolled back too.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteLedger, type Ledger } from "../../src/ledger/index.js";
import { manualClock } from "../../src/util/clock.js";

const homes: string[] = [];
const open: Ledger[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((l) => l.close()));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function openLedger(home: string): Ledger {
  const ledger = createSqliteLedger({ home, clock: manualClock() });
  open.push(ledger);
  return ledger;
}

async function write(ledger: Ledger, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await ledger.record(
      { kind: "tool_call", agent_id: `a${i}`, action: "tools/call", decision: "allow", tool: "t" },
      { success: true },
    );
}

/** A ledger of `before` rows verified once (checkpoint at row `before`), then `after` more rows. */
async function checkpointed(before: number, after: number) {
  const home = mkdtempSync(join(tmpdir(), "agov-checkpoint-"));
  homes.push(home);
  const ledger = openLedger(home);
  await write(ledger, before);
  expect(await ledger.verify()).toMatchObject({ ok: true, scope: "full", rows: before });
  await write(ledger, after);
  return { home, ledger, file: join(home, "ledger.db") };
}

// The rest of incremental verify is in the Ledger conformance suite (both adapters); this one
// rolls back the anchors file the embedded ledger keeps beside its key.
describe("incremental verify", () => {
  it("catches rows cut off below the checkpoint even with the tip and anchors rolled back", async () => {
    const { home, ledger, file } = await checkpointed(5, 0);
    await ledger.close();
    const db = new Database(file);
    db.prepare("DELETE FROM agent_actions WHERE id > 3").run();
    const tip = db.prepare("SELECT entry_hash FROM agent_actions WHERE id = 3").pluck().get();
    db.prepare("UPDATE ledger_tip SET last_id = 3, entry_hash = ?").run(tip);
    db.close();
    rmSync(join(home, "keys", "anchors.jsonl"));
    const r = await openLedger(home).verify();
    expect(r).toMatchObject({ ok: false, kind: "truncated", bad_row: 4 });
    if (!r.ok) expect(r.reason).toMatch(/verified checkpoint of .* covers row 5: rows 4–5/);
    expect(r.fallback).toMatch(/row 5 no longer matches .*missing/);
  });
});
