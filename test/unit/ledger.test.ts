import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteLedger, type Ledger } from "../../src/ledger/index.js";
import { manualClock } from "../../src/util/clock.js";
import { argsDigest, canonicalJson } from "../../src/util/json.js";

const homes: string[] = [];
const open: Ledger[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((l) => l.close()));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "agov-ledger-"));
  homes.push(home);
  return home;
}

function openLedger(home: string): Ledger {
  const ledger = createSqliteLedger({ home, clock: manualClock() });
  open.push(ledger);
  return ledger;
}

async function ledgerWithRows(n: number) {
  const home = newHome();
  const ledger = openLedger(home);
  for (let i = 0; i < n; i++) {
    const id = await ledger.begin({
      kind: "tool_call",
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
  await ledger.record(
    {
      kind: "tool_call",
      agent_id: "a0",
      tier: 0,
      action: "tools/call",
      decision: "deny",
      tool: "lock_acquire",
    },
    { success: false, error_type: "DENIED", error_message: "no" },
  );
  await ledger.flush();
  return { home, ledger, file: join(home, "ledger.db") };
}

/** Opens the database file as its owner would, without the key. */
function tamper(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...params);
  db.close();
}

const COLUMNS = [
  "timestamp",
  "kind",
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
  "detail",
  "prev_hash",
  "entry_hash",
  "hash",
];

describe("ledger hash chain", () => {
  it("verifies an untouched ledger, including completed outcomes", async () => {
    const { ledger } = await ledgerWithRows(5);
    expect(await ledger.verify()).toMatchObject({ ok: true, rows: 6 });
    const rows = await ledger.query({ newest_first: false });
    expect(rows.map((r) => r.success)).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it.each(COLUMNS)("detects an edit of column %s and names the row", async (column) => {
    const { ledger, file } = await ledgerWithRows(5);
    const numeric = ["tier", "latency_us", "success", "confidence"].includes(column);
    tamper(file, `UPDATE agent_actions SET ${column} = ? WHERE id = 3`, numeric ? 7 : "tampered");
    const r = await ledger.verify();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.bad_row).toBe(3);
  });

  it("detects a deleted row in the middle and at the end", async () => {
    const a = await ledgerWithRows(5);
    tamper(a.file, "DELETE FROM agent_actions WHERE id = 2");
    expect(await a.ledger.verify()).toMatchObject({ ok: false, bad_row: 2, kind: "missing" });

    const b = await ledgerWithRows(5);
    tamper(b.file, "DELETE FROM agent_actions WHERE id = 6");
    expect(await b.ledger.verify()).toMatchObject({ ok: false, bad_row: 6, kind: "truncated" });
  });

  it("detects rows deleted from the end even when the tip is rewritten to match", async () => {
    const { home, ledger, file } = await ledgerWithRows(5);
    await ledger.close();
    const db = new Database(file);
    db.prepare("DELETE FROM agent_actions WHERE id > 4").run();
    const tip = db.prepare("SELECT entry_hash FROM agent_actions WHERE id = 4").pluck().get();
    db.prepare("UPDATE ledger_tip SET last_id = 4, entry_hash = ?").run(tip);
    db.close();
    const r = await openLedger(home).verify();
    expect(r).toMatchObject({ ok: false, kind: "truncated", bad_row: 5 });
    if (!r.ok) expect(r.reason).toMatch(/ends at row 4 .* covers row 6/);
  });

  it("detects a wiped table and tip", async () => {
    const { home, ledger, file } = await ledgerWithRows(3);
    await ledger.close();
    const db = new Database(file);
    db.exec("DELETE FROM agent_actions; DELETE FROM ledger_tip;");
    db.close();
    const r = await openLedger(home).verify();
    expect(r).toMatchObject({ ok: false, kind: "wiped" });
    if (!r.ok) expect(r.reason).toMatch(/empty but the anchor .* covers 4 row/);
  });

  it("detects rows re-chained with public hash functions (no key)", async () => {
    const { home, ledger, file } = await ledgerWithRows(4);
    await ledger.close();
    // An attacker edits row 2 and recomputes every hash after it with plain SHA-256.
    const db = new Database(file);
    db.prepare("UPDATE agent_actions SET agent_id = 'someone-else' WHERE id = 2").run();
    const rows = db.prepare("SELECT * FROM agent_actions ORDER BY id").all() as Array<
      Record<string, unknown>
    >;
    let prev = "0".repeat(64);
    const fields = [
      "id",
      "timestamp",
      "agent_id",
      "agent_version",
      "tier",
      "action",
      "decision",
      "confidence",
      "tool",
      "session_id",
      "args_digest",
      "kind",
      "detail",
    ];
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    for (const row of rows) {
      const pick = Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));
      const entry = sha(`${prev}\n${canonicalJson(pick)}`);
      const outcome = Object.fromEntries(
        ["success", "error_type", "error_message", "latency_us"].map((f) => [f, row[f] ?? null]),
      );
      db.prepare(
        "UPDATE agent_actions SET prev_hash = ?, entry_hash = ?, hash = ? WHERE id = ?",
      ).run(prev, entry, sha(`${entry}\n${canonicalJson(outcome)}`), row.id);
      prev = entry;
    }
    db.prepare("UPDATE ledger_tip SET entry_hash = ?").run(prev);
    db.close();
    const r = await openLedger(home).verify();
    expect(r).toMatchObject({ ok: false, kind: "rechained", bad_row: 1 });
  });

  it("refuses to make a new key over a keyed history", async () => {
    const { home, ledger } = await ledgerWithRows(2);
    await ledger.close();
    rmSync(join(home, "keys", "ledger.key"));
    expect(() => createSqliteLedger({ home, clock: manualClock() })).toThrow(
      /ledger key .* is missing .* restore the key/,
    );
  });

  it("keeps its files private: 0700 folders, 0600 files", async () => {
    const { home, ledger } = await ledgerWithRows(1);
    await ledger.close();
    const mode = (p: string) => statSync(join(home, p)).mode & 0o777;
    expect(mode("keys")).toBe(0o700);
    expect(mode("keys/ledger.key")).toBe(0o600);
    expect(mode("keys/anchors.jsonl")).toBe(0o600);
    expect(mode("ledger.db")).toBe(0o600);
  });

  it("digests arguments canonically with secrets redacted", () => {
    expect(argsDigest({ b: 1, a: 2 })).toBe(argsDigest({ a: 2, b: 1 }));
    expect(argsDigest({ api_key: "one", x: 1 })).toBe(argsDigest({ api_key: "two", x: 1 }));
    expect(argsDigest({ x: 1 })).not.toBe(argsDigest({ x: 2 }));
  });

  it("filters queries by agent, tool, decision and kind", async () => {
    const { ledger } = await ledgerWithRows(4);
    expect((await ledger.query({ decision: "deny" })).map((r) => r.id)).toEqual([5]);
    expect((await ledger.query({ agent_id: "a1" })).every((r) => r.agent_id === "a1")).toBe(true);
    expect(await ledger.query({ agent_id: "a1" })).toHaveLength(2);
    expect(await ledger.query({ tool: "nope" })).toEqual([]);
    expect(await ledger.query({ limit: 2 })).toHaveLength(2);
    expect(await ledger.query({ kind: "revocation" })).toEqual([]);
    expect(await ledger.query({ kind: "tool_call" })).toHaveLength(5);
  });

  it("bounds caller text on the row and keeps a digest of what was cut", async () => {
    const ledger = openLedger(newHome());
    const long = "x".repeat(3_000_000);
    await ledger.record(
      { kind: "tool_call", agent_id: "a", action: "tools/call", decision: "deny", tool: long },
      { success: false, error_type: "NOT_FOUND", error_message: long },
    );
    const [row] = await ledger.query({});
    expect(row!.tool!.length).toBe(200);
    expect(row!.tool).toMatch(/…\[3,000,000 chars, sha256 [0-9a-f]{12}\]$/);
    expect(row!.error_message!.length).toBe(2000);
  });
});

describe("derived records", () => {
  async function withRuns() {
    const home = newHome();
    const ledger = openLedger(home);
    for (const compliant of [true, false, true, true])
      await ledger.record(
        {
          kind: "run",
          agent_id: "alpha",
          tier: 1,
          action: "run ended",
          decision: "allow",
          detail: { compliant },
        },
        { success: true },
      );
    await ledger.record(
      {
        kind: "revocation",
        agent_id: "beta",
        tier: 1,
        action: "revoked: MANUAL",
        decision: "deny",
        tool: "agent_revoke",
        detail: {
          task_id: "t",
          reason_type: "MANUAL",
          details: "misbehaved",
          revoked_by: "arch",
          severity: "high",
        },
      },
      { success: true },
    );
    return { home, ledger, file: join(home, "ledger.db") };
  }

  it("derives metrics, revocations and violations from chained rows", async () => {
    const { ledger } = await withRuns();
    expect(await ledger.metrics("alpha")).toMatchObject({
      current_tier: 1,
      total_runs: 4,
      compliant_runs: 3,
      consecutive_compliant: 2,
    });
    expect(await ledger.revocations("beta")).toMatchObject([
      { agent_id: "beta", task_id: "t", reason_type: "MANUAL", revoked_by: "arch" },
    ]);
    expect(await ledger.violations()).toMatchObject([
      { agent_id: "beta", violation_type: "MANUAL", severity: "high", tool: "agent_revoke" },
    ]);
    expect(await ledger.metrics("nobody")).toMatchObject({ total_runs: 0, current_tier: null });
  });

  it("cannot have compliant runs inflated without breaking the chain", async () => {
    const { ledger, file } = await withRuns();
    tamper(
      file,
      `UPDATE agent_actions SET detail = replace(detail, '"compliant":false', '"compliant":true') WHERE kind = 'run'`,
    );
    expect(await ledger.verify()).toMatchObject({ ok: false, bad_row: 2, kind: "modified" });
  });

  it("cannot have a revocation forgotten without breaking the chain", async () => {
    const { ledger, file } = await withRuns();
    tamper(file, "DELETE FROM agent_actions WHERE kind = 'revocation'");
    expect(await ledger.verify()).toMatchObject({ ok: false, kind: "truncated", bad_row: 5 });
  });
});

describe("legacy ledgers", () => {
  it("carries an unkeyed ledger and its metric tables into the keyed chain", async () => {
    const home = newHome();
    const file = join(home, "ledger.db");
    // A ledger as the previous version wrote it: schema v1, SHA-256 chain, plain metric tables.
    const { MIGRATIONS } = await import("../../src/ledger/schema.js");
    const { legacyChain } = await import("../../src/ledger/chain.js");
    const db = new Database(file);
    db.exec(MIGRATIONS[0]!);
    db.pragma("user_version = 1");
    const row: Record<string, unknown> = {
      id: 1,
      timestamp: "2026-01-01T00:00:00.000Z",
      agent_id: "alpha",
      agent_version: null,
      tier: 1,
      action: "tools/call",
      decision: "allow",
      confidence: null,
      tool: "whoami",
      session_id: "s",
      args_digest: null,
      success: 1,
      error_type: null,
      error_message: null,
      latency_us: 5,
      prev_hash: "0".repeat(64),
    };
    row.entry_hash = legacyChain.entryHash(row.prev_hash as string, row);
    row.hash = legacyChain.rowHash(row.entry_hash as string, row);
    db.prepare(
      `INSERT INTO agent_actions (${Object.keys(row).join(", ")}) VALUES (${Object.keys(row)
        .map((k) => `@${k}`)
        .join(", ")})`,
    ).run(row);
    db.prepare("INSERT INTO ledger_tip VALUES (1, 1, ?)").run(row.entry_hash);
    db.prepare(
      "INSERT INTO agent_metrics VALUES ('alpha', 1, 10, 7, 2, '2026-01-01T00:00:00.000Z')",
    ).run();
    db.prepare(
      "INSERT INTO revocations (timestamp, agent_id, task_id, reason_type, details, revoked_by) VALUES ('2026-01-01T00:00:00.000Z', 'beta', 't', 'MANUAL', 'x', 'op')",
    ).run();
    db.close();

    const ledger = openLedger(home);
    expect(await ledger.verify()).toMatchObject({ ok: true });
    expect(await ledger.metrics("alpha")).toMatchObject({
      current_tier: 1,
      total_runs: 10,
      compliant_runs: 7,
      consecutive_compliant: 2,
    });
    expect(await ledger.revocations("beta")).toHaveLength(1);
    const legacy = await ledger.query({ kind: "legacy" as never });
    expect(legacy).toEqual([]);
    expect((await ledger.query({ kind: "tool_call" }))[0]).toMatchObject({ id: 1, tool: "whoami" });
  });
});

describe("the chain's hashed text", () => {
  it("is the canonical JSON of the row's fields, whatever the row holds", async () => {
    const { createHmac } = await import("node:crypto");
    const { createChain } = await import("../../src/ledger/chain.js");
    const key = Buffer.alloc(32, 7);
    const chain = createChain(key);
    const entryFields = [
      "id",
      "timestamp",
      "agent_id",
      "agent_version",
      "tier",
      "action",
      "decision",
      "confidence",
      "tool",
      "session_id",
      "args_digest",
      "kind",
      "detail",
    ];
    const outcomeFields = ["success", "error_type", "error_message", "latency_us", "error_reason"];
    const pick = (row: Record<string, unknown>, fields: string[]) =>
      Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));
    const mac = (text: string) => createHmac("sha256", key).update(text).digest("hex");
    const rows: Record<string, unknown>[] = [
      {},
      { id: 1, timestamp: "2026-01-01T00:00:00.000Z", agent_id: "a", tier: 0, success: 1 },
      { agent_id: 'quote " back \\ nl \n tab \t nul \u0000 é 😀 \ud800', confidence: 0.25 },
      { detail: '{"k":[1,2]}', latency_us: -0, error_type: "X", extra: "not hashed" },
      { tool: undefined, tier: Number.NaN, success: 0, kind: "tool_call" },
      { detail: { an: ["object", { nested: true }] }, error_message: ["a", null] },
    ];
    for (const row of rows) {
      expect(chain.entryHash("p", row)).toBe(mac(`p\n${canonicalJson(pick(row, entryFields))}`));
      expect(chain.rowHash("e", row)).toBe(mac(`e\n${canonicalJson(pick(row, outcomeFields))}`));
    }
  });
});
