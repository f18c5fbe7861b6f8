// The two ledgers side by side in one run: appends/s one row per call (each waits for its commit)
// and with 64 calls in flight (group commit), then audit query latency and a full verify once the
// ledger holds N rows. Part of `npm run bench` (1,000,000 rows; 20,000 with --quick), or alone:
// `tsx bench/ledger-adapters.ts [--rows N] [--quick]`. It starts its own PostgreSQL (or uses
// AGOV_LEDGER_URL, which must name an empty database) beside a temp-dir SQLite ledger.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Ledger, LedgerEvent } from "../src/ledger/index.js";
import { createSqliteLedger } from "../src/ledger/index.js";
import { createPostgresLedger } from "../src/ledger/postgres.js";
import { systemClock } from "../src/util/clock.js";
import { postgresAvailable, startPostgres } from "../test/support/postgres-server.js";

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
  const t = performance.now();
  const check = await ledger.verify({ full: true });
  if (!check.ok) throw new Error(`the bench ledger does not verify: ${check.reason}`);
  const verifyS = (performance.now() - t) / 1000;
  return { one, group, queries, verifyS };
}

/** Both ledgers at `rows` rows, as a Markdown table; null when PostgreSQL is not installed. */
export async function compareLedgers(opts: {
  rows: number;
  quick: boolean;
}): Promise<string | null> {
  const { rows, quick } = opts;
  if (!process.env.AGOV_LEDGER_URL && !postgresAvailable()) return null;
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
      `| verify --full, s | ${a.verifyS.toFixed(1)} | ${b.verifyS.toFixed(1)} | ${(b.verifyS / a.verifyS).toFixed(2)} |`,
    ];
    if (own) lines.push("", "(PostgreSQL started by the bench on loopback, fsync on.)");
    return lines.join("\n");
  } finally {
    await own?.destroy();
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: "string" }, quick: { type: "boolean", default: false } },
  });
  const quick = values.quick ?? false;
  const rows = Number(values.rows ?? (quick ? 20_000 : 1_000_000));
  const table = await compareLedgers({ rows, quick });
  if (!table) throw new Error("PostgreSQL is not installed (apt-get install -y postgresql)");
  console.log(table);
}

// Run alone, not when `npm run bench` imports it.
if (resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) await main();
