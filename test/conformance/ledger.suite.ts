// The Ledger contract. Every adapter runs this same suite (ledger.test.ts, ledger-pg.test.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Anchor, Ledger, LedgerEvent } from "../../src/ledger/index.js";
import { manualClock } from "../../src/util/clock.js";
import { argsDigest } from "../../src/util/json.js";

type ManualClock = ReturnType<typeof manualClock>;

/**
 * Verifies every row from row 1. `full` asks a ledger that keeps verified checkpoints (incremental
 * verify) to read the whole chain anyway: these tests tamper with rows an earlier verify passed.
 */
export const verifyAll = (ledger: Ledger, anchors: Anchor[] = []) =>
  ledger.verify({ anchors, ...({ full: true } as object) });

export type LedgerFactory = (clock: ManualClock) => Promise<{
  ledger: Ledger;
  /** A second instance on the same storage and key, as another process (or host) would open. */
  other: () => Promise<Ledger>;
  /** Runs one SQL statement on the storage as its owner would, without the key. */
  tamper: (sql: string) => Promise<void>;
  cleanup: () => Promise<void>;
}>;

const call = (agent: string, i: number, extra: Record<string, unknown> = {}): LedgerEvent =>
  ({
    kind: "tool_call",
    agent_id: agent,
    tier: 1,
    action: "tools/call",
    decision: "allow",
    tool: i % 2 ? "lock_acquire" : "whoami",
    session_id: `s-${agent}`,
    args_digest: argsDigest({ i }),
    ...extra,
  }) as LedgerEvent;

export function ledgerConformance(name: string, factory: LedgerFactory): void {
  describe(`Ledger conformance: ${name}`, () => {
    let clock: ManualClock;
    let ledger: Ledger;
    let other: () => Promise<Ledger>;
    let tamper: (sql: string) => Promise<void>;
    let cleanup: () => Promise<void>;
    const extra: Ledger[] = [];
    const open = async () => {
      const l = await other();
      extra.push(l);
      return l;
    };

    beforeEach(async () => {
      clock = manualClock();
      ({ ledger, other, tamper, cleanup } = await factory(clock));
    });
    afterEach(async () => {
      for (const l of extra.splice(0)) await l.close();
      await cleanup();
    });

    /** Five begun-and-completed calls of a0/a1, then one refused call of a0: rows 1–6. */
    async function sixRows() {
      for (let i = 0; i < 5; i++) {
        const id = await ledger.begin(call(`a${i % 2}`, i));
        ledger.complete(id, { success: true, latency_us: 10 + i });
        clock.advance(1000);
      }
      await ledger.record(call("a0", 5, { decision: "deny", tier: 0 }), {
        success: false,
        error_type: "DENIED",
        error_message: "no",
      });
      await ledger.flush();
    }

    it("gives rows consecutive ids in the order they were recorded, and counts them", async () => {
      expect(await ledger.count()).toBe(0);
      const ids = await Promise.all(
        [0, 1, 2, 3].map((i) => ledger.record(call("a", i), { success: true })),
      );
      expect(ids).toEqual([1, 2, 3, 4]);
      expect(await ledger.record(call("a", 4), { success: true })).toBe(5);
      expect(await ledger.count()).toBe(5);
    });

    it("has a begun row durable, with an unknown outcome, before begin resolves", async () => {
      const id = await ledger.begin(call("a", 1));
      const reader = await open();
      const [row] = await reader.query({});
      expect(row).toMatchObject({ id, agent_id: "a", success: null, error_type: null });
    });

    it("fills the outcome of a begun row at the next commit, and leaves others unknown", async () => {
      const a = await ledger.begin(call("a", 1));
      const b = await ledger.begin(call("a", 2));
      ledger.complete(a, {
        success: false,
        error_type: "CONFLICT",
        error_message: "held",
        latency_us: 7,
      });
      await ledger.flush();
      const rows = await ledger.query({ newest_first: false });
      expect(rows.map((r) => [r.id, r.success, r.error_type, r.latency_us])).toEqual([
        [a, 0, "CONFLICT", 7],
        [b, null, null, null],
      ]);
      await ledger.record(call("a", 3), { success: null });
      expect((await ledger.query({ limit: 1 }))[0]!.success).toBeNull();
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 3 });
    });

    it("writes an outcome completed while a batch is being written, with no further row", async () => {
      const a = await ledger.begin(call("a", 1));
      const next = ledger.record(call("a", 2), { success: true });
      await new Promise((r) => setImmediate(r)); // that row's commit is under way
      ledger.complete(a, { success: true, latency_us: 5 });
      await next;
      // Read from another instance: this one would write what it holds before answering.
      const reader = await open();
      const deadline = Date.now() + 5000;
      let row = (await reader.query({ newest_first: false, limit: 1 }))[0];
      while (row?.success === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        row = (await reader.query({ newest_first: false, limit: 1 }))[0];
      }
      expect(row).toMatchObject({ id: a, success: 1, latency_us: 5 });
    });

    it("filters queries by agent, tool, decision, kind, session, since and limit", async () => {
      await sixRows();
      expect((await ledger.query({ decision: "deny" })).map((r) => r.id)).toEqual([6]);
      expect((await ledger.query({ agent_id: "a1" })).map((r) => r.id)).toEqual([4, 2]);
      expect((await ledger.query({ tool: "lock_acquire" })).map((r) => r.id)).toEqual([6, 4, 2]);
      expect((await ledger.query({ session_id: "s-a0" })).map((r) => r.id)).toEqual([6, 5, 3, 1]);
      expect(await ledger.query({ tool: "nope" })).toEqual([]);
      expect(await ledger.query({ kind: "revocation" })).toEqual([]);
      expect(await ledger.query({ kind: "tool_call" })).toHaveLength(6);
      const since = new Date(Date.parse("2026-01-01T00:00:00Z") + 3000).toISOString();
      expect((await ledger.query({ since })).map((r) => r.id)).toEqual([6, 5, 4]);
      expect((await ledger.query({ limit: 2 })).map((r) => r.id)).toEqual([6, 5]);
      expect((await ledger.query({ limit: 2, newest_first: false })).map((r) => r.id)).toEqual([
        1, 2,
      ]);
      expect(
        (await ledger.query({ agent_id: "a0", decision: "allow", limit: 1 })).map((r) => r.id),
      ).toEqual([5]);
    });

    it("pages oldest first after a given id, with the other filters", async () => {
      await sixRows();
      const page = (after_id: number) =>
        ledger.query({ after_id, newest_first: false, limit: 2 }).then((r) => r.map((x) => x.id));
      expect([await page(0), await page(2), await page(4), await page(6)]).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
        [],
      ]);
      const a0 = await ledger.query({ agent_id: "a0", after_id: 1, newest_first: false });
      expect(a0.map((r) => r.id)).toEqual([3, 5, 6]);
    });

    it("pages newest first before a given id, and counts what matches beyond a page", async () => {
      await sixRows();
      const page = (before_id?: number) =>
        ledger
          .query({ ...(before_id ? { before_id } : {}), limit: 4 })
          .then((r) => r.map((x) => x.id));
      expect(await page()).toEqual([6, 5, 4, 3]);
      expect(await page(3)).toEqual([2, 1]);
      expect(await page(1)).toEqual([]);
      expect(await ledger.matching({})).toBe(6);
      expect(await ledger.matching({ before_id: 3 })).toBe(2);
      expect(await ledger.matching({ agent_id: "a0" })).toBe(4);
      expect(await ledger.matching({ agent_id: "a0", before_id: 5 })).toBe(2);
      expect(await ledger.matching({ decision: "deny", tool: "nope" })).toBe(0);
      const since = new Date(Date.parse("2026-01-01T00:00:00Z") + 3000).toISOString();
      expect(await ledger.matching({ since })).toBe(3);
    });

    it("filters by the task a row names in its detail", async () => {
      await ledger.record(call("a0", 0, { detail: { task_id: "run-1" } }), { success: true });
      await ledger.record(call("a1", 1, { detail: { task_id: "run-2" } }), { success: true });
      await ledger.record(call("a0", 2), { success: true });
      await ledger.record(call("a1", 3, { detail: { task_id: "run-1", other: 1 } }), {
        success: true,
      });
      expect((await ledger.query({ task_id: "run-1" })).map((r) => r.id)).toEqual([4, 1]);
      expect(await ledger.matching({ task_id: "run-1" })).toBe(2);
      expect(await ledger.matching({ task_id: "run-1", agent_id: "a0" })).toBe(1);
      expect(await ledger.query({ task_id: "run-3" })).toEqual([]);
    });

    it("gives back every column as it was recorded", async () => {
      await ledger.record(
        call("a", 1, { agent_version: "1.2", confidence: 0.75, detail: { x: [1, "two"] } }),
        { success: true, error_reason: null, latency_us: 123_456_789_012 },
      );
      const [row] = await ledger.query({});
      expect(row).toMatchObject({
        id: 1,
        kind: "tool_call",
        timestamp: "2026-01-01T00:00:00.000Z",
        agent_version: "1.2",
        tier: 1,
        confidence: 0.75,
        success: 1,
        latency_us: 123_456_789_012,
        detail: '{"x":[1,"two"]}',
      });
      expect(row!.entry_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row!.prev_hash).toBe("0".repeat(64));
    });

    it("bounds caller text and keeps text a database may not store verifiable", async () => {
      await ledger.record(call("a", 1, { tool: "x".repeat(300_000) }), {
        success: false,
        error_message: "y".repeat(5000),
      });
      await ledger.record(call("nul\u0000agent", 2, { action: "half \uD800 pair" }), {
        success: true,
      });
      const [bad, long] = await ledger.query({});
      expect(long!.tool!.length).toBe(200);
      expect(long!.error_message!.length).toBe(2000);
      expect(bad!.agent_id.startsWith("nul")).toBe(true);
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 2 });
    });

    it("derives metrics, revocations, violations and promotions from chained rows", async () => {
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
      await ledger.record(
        {
          kind: "promotion",
          agent_id: "alpha",
          tier: 2,
          action: "promoted",
          decision: "allow",
          detail: {
            from_tier: 1,
            to_tier: 2,
            decision: "granted",
            reason: "streak",
            approved_by: "op",
          },
        },
        { success: true },
      );
      await ledger.record(
        {
          kind: "tier",
          agent_id: "alpha",
          tier: 2,
          action: "tier set",
          decision: "allow",
          detail: { tier: 2, by: "op" },
        },
        { success: true },
      );
      expect(await ledger.metrics("alpha")).toEqual({
        agent_id: "alpha",
        current_tier: 2,
        total_runs: 4,
        compliant_runs: 3,
        consecutive_compliant: 2,
        last_active_at: "2026-01-01T00:00:00.000Z",
      });
      expect(await ledger.metrics("nobody")).toMatchObject({
        total_runs: 0,
        current_tier: null,
        last_active_at: null,
      });
      expect(await ledger.revocations("beta")).toMatchObject([
        {
          id: 5,
          agent_id: "beta",
          task_id: "t",
          reason_type: "MANUAL",
          details: "misbehaved",
          revoked_by: "arch",
        },
      ]);
      expect(await ledger.revocations("alpha")).toEqual([]);
      expect(await ledger.violations()).toMatchObject([
        {
          agent_id: "beta",
          violation_type: "MANUAL",
          severity: "high",
          description: "misbehaved",
          tool: "agent_revoke",
        },
      ]);
      expect(await ledger.promotions("alpha")).toMatchObject([
        {
          id: 6,
          from_tier: 1,
          to_tier: 2,
          decision: "granted",
          reason: "streak",
          approved_by: "op",
        },
      ]);
      expect(await ledger.promotions()).toHaveLength(1);
    });

    it("verifies an untouched ledger, an empty one, and one reopened", async () => {
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 0 });
      await sixRows();
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 6 });
      expect(await verifyAll(await open())).toMatchObject({ ok: true, rows: 6 });
    });

    it("detects a modified row, a modified outcome and a modified detail, and names the row", async () => {
      await sixRows();
      await tamper("UPDATE agent_actions SET agent_id = 'someone-else' WHERE id = 3");
      expect(await verifyAll(ledger)).toMatchObject({ ok: false, bad_row: 3, kind: "modified" });
      await tamper("UPDATE agent_actions SET agent_id = 'a0' WHERE id = 3");
      expect(await verifyAll(ledger)).toMatchObject({ ok: true });
      await tamper("UPDATE agent_actions SET success = 1 WHERE id = 6");
      expect(await verifyAll(ledger)).toMatchObject({ ok: false, bad_row: 6, kind: "modified" });
    });

    it("detects rows deleted in the middle and at the end", async () => {
      await sixRows();
      await tamper("DELETE FROM agent_actions WHERE id = 6");
      expect(await verifyAll(ledger)).toMatchObject({ ok: false, bad_row: 6, kind: "truncated" });
      await tamper("DELETE FROM agent_actions WHERE id = 2");
      expect(await verifyAll(ledger)).toMatchObject({ ok: false, bad_row: 2, kind: "missing" });
    });

    it("anchors the tip, and checks the chain against anchors kept elsewhere", async () => {
      expect(await ledger.anchor()).toBeNull();
      await sixRows();
      const anchor = await ledger.anchor();
      expect(anchor).toMatchObject({ row_id: 6, mac: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const [top] = await ledger.query({ limit: 1 });
      expect(anchor!.entry_hash).toBe(top!.entry_hash);
      expect(await verifyAll(ledger, [anchor!])).toMatchObject({
        ok: true,
        anchored_to: 6,
      });
      // The end cut off and the tip rewritten to match: only the anchor still knows row 6.
      await tamper("DELETE FROM agent_actions WHERE id > 4");
      await tamper(
        "UPDATE ledger_tip SET last_id = 4, entry_hash = (SELECT entry_hash FROM agent_actions WHERE id = 4)",
      );
      expect(await verifyAll(ledger, [anchor!])).toMatchObject({
        ok: false,
        kind: "truncated",
        bad_row: 5,
      });
      const forged = { ...anchor!, row_id: 4 };
      expect(await verifyAll(ledger, [forged])).toMatchObject({ ok: false, kind: "key" });
    });

    it("keeps one chain when two instances append concurrently: no gaps, no forks", async () => {
      const second = await open();
      const write = (l: Ledger, agent: string) =>
        Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            if (i % 3 === 0) return l.record(call(agent, i), { success: true });
            const id = await l.begin(call(agent, i));
            l.complete(id, { success: true, latency_us: i });
            return id;
          }),
        );
      const [a, b] = await Promise.all([write(ledger, "first"), write(second, "second")]);
      await Promise.all([ledger.flush(), second.flush()]);
      expect(new Set([...a, ...b]).size).toBe(120);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual(
        Array.from({ length: 120 }, (_, i) => i + 1),
      );
      for (const ids of [a, b]) expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 120 });
      expect(await verifyAll(second)).toMatchObject({ ok: true, rows: 120 });
      expect(await ledger.query({ agent_id: "second", limit: 1000 })).toHaveLength(60);
      expect((await ledger.query({ limit: 1000 })).every((r) => r.success === 1)).toBe(true);
    });

    it("refuses rows once closed", async () => {
      await ledger.record(call("a", 1), { success: true });
      await ledger.close();
      await expect(ledger.record(call("a", 2), { success: true })).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
      await expect(ledger.begin(call("a", 2))).rejects.toMatchObject({ code: "UNAVAILABLE" });
    });

    describe("incremental verify", () => {
      /** `before` rows verified once (checkpoint at row `before`), then `after` more rows. */
      async function checkpointed(before: number, after: number) {
        for (let i = 0; i < before; i++) await ledger.record(call("a", i), { success: true });
        expect(await ledger.verify()).toMatchObject({ ok: true, scope: "full", rows: before });
        for (let i = 0; i < after; i++) await ledger.record(call("b", i), { success: true });
      }

      it("reads only the rows written since the last verify that passed", async () => {
        await checkpointed(5, 3);
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
        // Another instance (or host) starts from the same checkpoint.
        expect(await (await open()).verify()).toMatchObject({
          scope: "incremental",
          checkpoint: 8,
        });
      });

      it("detects a modified row and a cut-off end after the checkpoint", async () => {
        await checkpointed(5, 3);
        await tamper("UPDATE agent_actions SET agent_id = 'x' WHERE id = 7");
        expect(await ledger.verify()).toMatchObject({
          ok: false,
          scope: "incremental",
          kind: "modified",
          bad_row: 7,
        });
        await tamper("UPDATE agent_actions SET agent_id = 'b' WHERE id = 7");
        await tamper("DELETE FROM agent_actions WHERE id = 8");
        expect(await ledger.verify()).toMatchObject({ ok: false, kind: "truncated", bad_row: 8 });
      });

      it("does not re-read rows up to the checkpoint, and --full catches an edit there", async () => {
        await checkpointed(5, 3);
        await tamper("UPDATE agent_actions SET agent_id = 'x' WHERE id = 2");
        expect(await ledger.verify()).toMatchObject({ ok: true, scope: "incremental", rows: 3 });
        expect(await ledger.verify({ full: true })).toMatchObject({
          ok: false,
          scope: "full",
          kind: "modified",
          bad_row: 2,
        });
      });

      it("still checks the anchored rows before the checkpoint, one lookup each", async () => {
        await checkpointed(3, 0);
        const exported = await ledger.anchor();
        for (let i = 0; i < 3; i++) await ledger.record(call("c", i), { success: true });
        expect(await ledger.verify()).toMatchObject({ ok: true, checkpoint: 3, rows: 3 });
        await tamper(`UPDATE agent_actions SET entry_hash = '${"f".repeat(64)}' WHERE id = 3`);
        expect(await ledger.verify({ anchors: [exported!] })).toMatchObject({
          ok: false,
          scope: "incremental",
          kind: "rechained",
          bad_row: 3,
        });
      });

      it.each([
        ["a forged signature", `replace(value, '"mac":"', '"mac":"0')`],
        ["a moved row", `replace(value, '"row_id":5', '"row_id":2')`],
        ["unreadable text", "'not json'"],
      ])("sets aside a checkpoint with %s and verifies every row", async (_name, altered) => {
        await checkpointed(5, 2);
        await tamper(`UPDATE ledger_meta SET value = ${altered} WHERE key = 'verified_checkpoint'`);
        const r = await ledger.verify();
        expect(r).toMatchObject({ ok: true, scope: "full", checkpoint: null, rows: 7 });
        expect(r.fallback).toMatch(/not signed by this ledger key/);
        // The full verify passed, so it leaves a good checkpoint for the next one.
        expect(await ledger.verify()).toMatchObject({ scope: "incremental", checkpoint: 7 });
      });

      it("sets aside a checkpoint whose row was rewritten, and the full verify names the row", async () => {
        await checkpointed(5, 2);
        await tamper(`UPDATE agent_actions SET entry_hash = '${"e".repeat(64)}' WHERE id = 5`);
        const r = await ledger.verify();
        expect(r).toMatchObject({ ok: false, scope: "full", kind: "modified", bad_row: 5 });
        expect(r.fallback).toMatch(/row 5 no longer matches the checkpoint .*rewritten/);
      });

      it("never moves the checkpoint back when an instance finishes an older verify later", async () => {
        await checkpointed(4, 0);
        const second = await open();
        for (let i = 0; i < 3; i++) await ledger.record(call("d", i), { success: true });
        expect(await ledger.verify()).toMatchObject({ ok: true, checkpoint: 4, last_row: 7 });
        // A full verify that reads the same rows leaves the checkpoint where it is, at row 7.
        expect(await second.verify({ full: true })).toMatchObject({ ok: true, last_row: 7 });
        expect(await second.verify()).toMatchObject({ scope: "incremental", checkpoint: 7 });
      });
    });
  });
}
