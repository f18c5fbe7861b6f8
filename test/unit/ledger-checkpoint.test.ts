// Incremental verify: after a verify passes, the next one reads only newer rows, from a signed
// checkpoint; --full still reads every row, and a checkpoint that cannot be trusted is set aside.
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

/** Opens the database file as its owner would, without the key. */
function sql(file: string, text: string, ...params: unknown[]): void {
  const db = new Database(file);
  db.prepare(text).run(...params);
  db.close();
}

const checkpointOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  const text = db
    .prepare("SELECT value FROM ledger_meta WHERE key = 'verified_checkpoint'")
    .pluck()
    .get() as string;
  db.close();
  return JSON.parse(text) as Record<string, unknown>;
};

describe("incremental verify", () => {
  it("reads only the rows written since the last verify that passed", async () => {
    const { ledger } = await checkpointed(5, 3);
    expect(await ledger.verify()).toMatchObject({
      ok: true,
      scope: "incremental",
      checkpoint: 5,
      rows: 3,
      first_row: 6,
      last_row: 8,
    });
    expect(await ledger.verify()).toMatchObject({ ok: true, checkpoint: 8, rows: 0 });
    expect(await ledger.verify({ full: true })).toMatchObject({
      ok: true,
      scope: "full",
      checkpoint: null,
      rows: 8,
    });
  });

  it("detects a modified row and a cut-off end after the checkpoint", async () => {
    const a = await checkpointed(5, 3);
    sql(a.file, "UPDATE agent_actions SET agent_id = 'x' WHERE id = 7");
    expect(await a.ledger.verify()).toMatchObject({
      ok: false,
      scope: "incremental",
      kind: "modified",
      bad_row: 7,
    });

    const b = await checkpointed(5, 3);
    sql(b.file, "DELETE FROM agent_actions WHERE id = 8");
    expect(await b.ledger.verify()).toMatchObject({ ok: false, kind: "truncated", bad_row: 8 });
  });

  it("does not re-read rows up to the checkpoint, and --full catches an edit there", async () => {
    const { ledger, file } = await checkpointed(5, 3);
    sql(file, "UPDATE agent_actions SET agent_id = 'x' WHERE id = 2");
    expect(await ledger.verify()).toMatchObject({ ok: true, scope: "incremental", rows: 3 });
    expect(await ledger.verify({ full: true })).toMatchObject({
      ok: false,
      scope: "full",
      kind: "modified",
      bad_row: 2,
    });
  });

  it("still checks the anchored rows before the checkpoint, one lookup each", async () => {
    const { ledger, file } = await checkpointed(3, 0);
    const exported = await ledger.anchor();
    await write(ledger, 3);
    expect(await ledger.verify()).toMatchObject({ ok: true, checkpoint: 3, rows: 3 });
    sql(file, "UPDATE agent_actions SET entry_hash = ? WHERE id = 3", "f".repeat(64));
    expect(await ledger.verify({ anchors: [exported!] })).toMatchObject({
      ok: false,
      scope: "incremental",
      kind: "rechained",
      bad_row: 3,
    });
  });

  it.each([
    ["a forged signature", (cp: Record<string, unknown>) => ({ ...cp, mac: "0".repeat(64) })],
    ["a moved row", (cp: Record<string, unknown>) => ({ ...cp, row_id: 2 })],
    ["unreadable text", () => "not json"],
  ])("sets aside a checkpoint with %s and verifies every row", async (_name, alter) => {
    const { ledger, file } = await checkpointed(5, 2);
    sql(
      file,
      "UPDATE ledger_meta SET value = ? WHERE key = 'verified_checkpoint'",
      JSON.stringify(alter(checkpointOf(file))),
    );
    const r = await ledger.verify();
    expect(r).toMatchObject({ ok: true, scope: "full", checkpoint: null, rows: 7 });
    expect(r.fallback).toMatch(/not signed by this ledger key/);
    // The full verify passed, so it leaves a good checkpoint for the next one.
    expect(await ledger.verify()).toMatchObject({ scope: "incremental", checkpoint: 7 });
  });

  it("sets aside a checkpoint whose row was rewritten, and the full verify names the row", async () => {
    const { ledger, file } = await checkpointed(5, 2);
    sql(file, "UPDATE agent_actions SET entry_hash = ? WHERE id = 5", "e".repeat(64));
    const r = await ledger.verify();
    expect(r).toMatchObject({ ok: false, scope: "full", kind: "modified", bad_row: 5 });
    expect(r.fallback).toMatch(/row 5 no longer matches the checkpoint .*rewritten/);
  });

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
