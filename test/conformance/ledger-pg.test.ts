// The Ledger contract against the PostgreSQL adapter on a real server (one database per test), and
// what only a shared database has: a fleet's key agreement, and an outage the ledger outlives.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerCheck } from "../../src/cli/doctor-ledger.js";
import { loadConfig } from "../../src/config/index.js";
import type { Ledger } from "../../src/ledger/index.js";
import { createSqliteLedger } from "../../src/ledger/index.js";
import { migrateToPostgres } from "../../src/ledger/migrate.js";
import { createPostgresLedger } from "../../src/ledger/postgres.js";
import { createRuntime } from "../../src/runtime.js";
import { manualClock } from "../../src/util/clock.js";
import { exportWith } from "../support/export.js";
import {
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "../support/postgres-server.js";
import { ledgerConformance, verifyAll } from "./ledger.suite.js";

if (postgresAvailable()) {
  let server: PostgresServer;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.destroy());

  /** A fresh database and agov home; the ledgers opened on them are closed by cleanup. */
  async function fresh() {
    const url = await server.createDatabase(`ledger_${process.pid}_${++n}`);
    const home = mkdtempSync(join(tmpdir(), "agov-pgledger-"));
    return { url, home };
  }

  async function sql(url: string, text: string) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  ledgerConformance("postgres", async (clock) => {
    const { url, home } = await fresh();
    const ledger = await createPostgresLedger({ url, home, clock });
    return {
      ledger,
      other: () => createPostgresLedger({ url, home, clock }),
      tamper: (text) => sql(url, text),
      cleanup: async () => {
        await ledger.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  });

  describe("PostgreSQL ledger: a fleet's database", () => {
    const clock = manualClock();

    it("refuses an instance whose ledger key differs from the one the database was written with", async () => {
      const { url, home } = await fresh();
      const first = await createPostgresLedger({ url, home, clock });
      await first.record(
        { kind: "operator", agent_id: "op", action: "x", decision: "allow" },
        { success: true },
      );
      await first.close();
      const elsewhere = mkdtempSync(join(tmpdir(), "agov-pgledger-"));
      // A new instance with no key of its own is not given one over the fleet's history.
      await expect(createPostgresLedger({ url, home: elsewhere, clock })).rejects.toThrow(
        /ledger key .* is missing .* written with one/,
      );
      // One with a key of its own would write rows no other instance can verify.
      await expect(
        createPostgresLedger({ url, home, clock, key: Buffer.alloc(32, 7) }),
      ).rejects.toThrow(/written with another key .* same key/);
      const same = await createPostgresLedger({ url, home, clock });
      expect(await same.count()).toBe(1);
      await same.close();
      for (const h of [home, elsewhere]) rmSync(h, { recursive: true, force: true });
    });

    it("keeps one chain under four instances writing 250 rows each at once", async () => {
      const { url, home } = await fresh();
      const fleet = await Promise.all(
        [1, 2, 3, 4].map(() => createPostgresLedger({ url, home, clock, poolSize: 2 })),
      );
      const ids = await Promise.all(
        fleet.map((l, k) =>
          Promise.all(
            Array.from({ length: 250 }, (_, i) =>
              l.record(
                { kind: "tool_call", agent_id: `i${k}`, action: `call ${i}`, decision: "allow" },
                { success: true },
              ),
            ),
          ),
        ),
      );
      const all = ids.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      for (const l of fleet) expect(await verifyAll(l)).toMatchObject({ ok: true, rows: 1000 });
      const mine = await fleet[2]!.query({ agent_id: "i2", newest_first: false, limit: 1000 });
      expect(mine.map((r) => r.action)).toEqual(Array.from({ length: 250 }, (_, i) => `call ${i}`));
      await Promise.all(fleet.map((l) => l.close()));
      rmSync(home, { recursive: true, force: true });
    });

    it("is the ledger a runtime builds for ledger: postgres, named in health without the password", async () => {
      const { url, home } = await fresh();
      const config = loadConfig({
        env: { AGOV_HOME: home, AGOV_LEDGER: "postgres", AGOV_LEDGER_URL: url },
        cwd: home,
      });
      const runtime = await createRuntime(config, { clock });
      try {
        await runtime.ledger.record(
          { kind: "operator", agent_id: "op", action: "via runtime", decision: "allow" },
          { success: true },
        );
        const report = JSON.stringify(runtime.health.report());
        expect(report).toContain(`127.0.0.1:${server.port}/ledger_`);
        expect(report).toContain("postgres");
        expect(report).not.toContain("conformance-secret");
      } finally {
        await runtime.close();
      }
      const direct = await createPostgresLedger({ url, home, clock });
      expect(await direct.query({})).toMatchObject([{ action: "via runtime" }]);
      await direct.close();
      rmSync(home, { recursive: true, force: true });
    });

    it("is what agov audit export reads, page by page", async () => {
      const { url, home } = await fresh();
      const config = loadConfig({
        env: { AGOV_HOME: home, AGOV_LEDGER: "postgres", AGOV_LEDGER_URL: url },
        cwd: home,
      });
      const rows = [1, 2, 3].map((i) => ({
        kind: "operator" as const,
        agent_id: "op",
        action: `step ${i}`,
        decision: "allow" as const,
      }));
      const lines = await exportWith(config, { format: "jsonl" }, { page: 2, rows });
      expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual([
        "step 1",
        "step 2",
        "step 3",
      ]);
      rmSync(home, { recursive: true, force: true });
    });

    it("takes an embedded ledger's rows as they are with ledger migrate, and verifies the copy", async () => {
      const { url, home } = await fresh();
      const embedded = createSqliteLedger({ home, clock });
      for (let i = 0; i < 7; i++) {
        const id = await embedded.begin({
          kind: "tool_call",
          agent_id: `a${i % 2}`,
          action: "tools/call",
          decision: "allow",
          tool: "lock_acquire",
          detail: { i },
        });
        if (i !== 3) embedded.complete(id, { success: i % 2 === 0, latency_us: i });
      }
      await embedded.record(
        {
          kind: "revocation",
          agent_id: "a1",
          action: "revoked: MANUAL",
          decision: "deny",
          detail: {
            task_id: null,
            reason_type: "MANUAL",
            details: "x",
            revoked_by: "op",
            severity: "low",
          },
        },
        { success: true },
      );
      await embedded.flush();
      const want = await embedded.query({ limit: 100 });
      await embedded.close();

      expect(await migrateToPostgres({ home, url, clock, page: 3 })).toMatchObject({ rows: 8 });
      const copy = await createPostgresLedger({ url, home, clock });
      expect(await verifyAll(copy)).toMatchObject({ ok: true, rows: 8 });
      expect(await copy.query({ limit: 100 })).toEqual(want);
      expect(await copy.revocations("a1")).toHaveLength(1);
      // The copy goes on where the embedded chain ended.
      expect(
        await copy.record(
          { kind: "operator", agent_id: "op", action: "after", decision: "allow" },
          { success: true },
        ),
      ).toBe(9);
      expect(await verifyAll(copy)).toMatchObject({ ok: true, rows: 9 });
      await copy.close();
      await expect(migrateToPostgres({ home, url, clock })).rejects.toThrow(
        /already has 9 row\(s\)/,
      );
      rmSync(home, { recursive: true, force: true });
    });

    it("copies nothing from an embedded ledger that does not verify", async () => {
      const { url, home } = await fresh();
      const embedded = createSqliteLedger({ home, clock });
      for (const i of [1, 2, 3])
        await embedded.record(
          { kind: "operator", agent_id: "op", action: `step ${i}`, decision: "allow" },
          { success: true },
        );
      await embedded.close();
      const Database = (await import("better-sqlite3")).default;
      const db = new Database(join(home, "ledger.db"));
      db.exec("UPDATE agent_actions SET action = 'rewritten' WHERE id = 2");
      db.close();
      await expect(migrateToPostgres({ home, url, clock })).rejects.toThrow(
        /does not verify \(modified at row 2.*nothing was copied/,
      );
      const target = await createPostgresLedger({ url, home, clock });
      expect(await target.count()).toBe(0);
      await target.close();
      rmSync(home, { recursive: true, force: true });
    });

    it("is checked by agov doctor: answering, or down with the database named and no password", async () => {
      const { url, home } = await fresh();
      const config = (ledgerUrl: string) =>
        loadConfig({
          env: { AGOV_HOME: home, AGOV_LEDGER: "postgres", AGOV_LEDGER_URL: ledgerUrl },
          cwd: home,
        });
      expect(await ledgerCheck(config(url))).toMatchObject({
        status: "ok",
        detail: expect.stringContaining("agov creates the ledger's tables on first start"),
      });
      const wrong = url.replace("conformance-secret", "not-the-password");
      const down = await ledgerCheck(config(wrong));
      expect(down).toMatchObject({
        status: "fail",
        detail: expect.stringContaining(`127.0.0.1:${server.port}/ledger_`),
      });
      expect(JSON.stringify(down)).not.toContain("not-the-password");
      rmSync(home, { recursive: true, force: true });
    });

    it("refuses calls UNAVAILABLE naming the database (not the password) while it is down, and serves again when it is back", async () => {
      const { url, home } = await fresh();
      const ledger: Ledger = await createPostgresLedger({ url, home, clock });
      await ledger.record(
        { kind: "operator", agent_id: "op", action: "before", decision: "allow" },
        { success: true },
      );
      await server.stop();
      try {
        const refused = ledger.begin({
          kind: "tool_call",
          agent_id: "a",
          action: "tools/call",
          decision: "allow",
        });
        await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE" });
        const err = (await refused.catch((e: Error) => e)) as Error;
        expect(err.message).toContain(`127.0.0.1:${server.port}/ledger_`);
        expect(err.message).not.toContain("conformance-secret");
        await expect(ledger.query({})).rejects.toMatchObject({ code: "UNAVAILABLE" });
      } finally {
        await server.start();
      }
      const id = await ledger.record(
        { kind: "operator", agent_id: "op", action: "after", decision: "allow" },
        { success: true },
      );
      expect(id).toBe(2);
      expect(await verifyAll(ledger)).toMatchObject({ ok: true, rows: 2 });
      await ledger.close();
      rmSync(home, { recursive: true, force: true });
    }, 60_000);
  });
} else {
  describe.skip("Ledger conformance: postgres (PostgreSQL not installed)", () => {
    it("needs initdb and postgres", () => {});
  });
}
