// The two ledgers side by side in one run: appends/s one row per call (each waits for its commit)
// and with 64 calls in flight (group commit), then audit query latency once the ledger holds N
// rows. `tsx bench/ledger-adapters.ts [--rows N] [--quick]` starts its own PostgreSQL (or uses
// AGOV_LEDGER_URL, which must name an empty database) beside a temp-dir SQLite ledger.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Ledger, LedgerEvent } from "../src/ledger/index.js";
import { createSqliteLedger } from "../src/ledger/index.js";
import { createPostgresLedger } from "../src/ledger/postgres.js";
import { systemClock } from "../src/util/clock.js";
import { startPostgres } from "../test/support/postgres-server.js";

const event = (i: number): LedgerEvent => ({
  kind: "tool_call",
  agent_id: `agent-${i % 50}`,
  tier: 1,
  action: "tools/call",
  decision: i % 10 === 0 ? "deny" : "allow",
  tool: `tool_${i % 20}`,
  session_id: `s-${i % 200}`,
});

async function perSecond(n: number, run: (i: number) => Promise<unknown>, inFlight: number) {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await run(next++);
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

async function latencyMs(run: () => Promise<unknown>, times = 20): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function measure(ledger: Ledger, rows: number, quick: boolean) {
  const n = quick ? 300 : 2000;
  const one = await perSecond(n, (i) => ledger.record(event(i), { success: true }), 1);
  const group = await perSecond(n * 5, (i) => ledger.record(event(i), { success: true }), 64);
  // Fill to `rows` in group commit, then time the queries an auditor runs.
  const have = await ledger.count();
  await perSecond(Math.max(0, rows - have), (i) => ledger.record(event(i), { success: true }), 256);
  const since = new Date(Date.now() - 60_000).toISOString();
  const queries = {
    latest: await latencyMs(() => ledger.query({ limit: 50 })),
    agent: await latencyMs(() => ledger.query({ agent_id: "agent-7", limit: 50 })),
    "deny since 1 min": await latencyMs(() => ledger.query({ decision: "deny", since, limit: 50 })),
  };
  return { one, group, queries };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: "string" }, quick: { type: "boolean", default: false } },
  });
  const quick = values.quick ?? false;
  const rows = Number(values.rows ?? (quick ? 20_000 : 1_000_000));
  const home = mkdtempSync(join(tmpdir(), "agov-bench-ledger-"));
  const own = process.env.AGOV_LEDGER_URL ? undefined : await startPostgres({ durable: true });
  const url = process.env.AGOV_LEDGER_URL ?? (await own!.createDatabase("bench"));
  try {
    const sqlite = createSqliteLedger({ home: join(home, "s"), clock: systemClock });
    const a = await measure(sqlite, rows, quick);
    await sqlite.close();
    const pg = await createPostgresLedger({ url, home: join(home, "p"), clock: systemClock });
    const b = await measure(pg, rows, quick);
    await pg.close();
    const f = (x: number) => Math.round(x).toLocaleString("en");
    const lines = [
      `| ledger (${rows.toLocaleString("en")} rows) | SQLite | PostgreSQL | PostgreSQL / SQLite |`,
      "|---|---:|---:|---:|",
      `| appends/s, one per call | ${f(a.one)} | ${f(b.one)} | ${(b.one / a.one).toFixed(2)} |`,
      `| appends/s, 64 in flight (group commit) | ${f(a.group)} | ${f(b.group)} | ${(b.group / a.group).toFixed(2)} |`,
      ...Object.keys(a.queries).map((k) => {
        const x = a.queries[k as keyof typeof a.queries];
        const y = b.queries[k as keyof typeof b.queries];
        return `| query ${k}, median ms | ${x.toFixed(2)} | ${y.toFixed(2)} | ${(y / x).toFixed(2)} |`;
      }),
    ];
    console.log(lines.join("\n"));
    if (own) console.log("\n(PostgreSQL started by the bench on loopback, fsync on.)");
  } finally {
    await own?.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
