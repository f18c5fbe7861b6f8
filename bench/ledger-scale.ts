// The ledger at scale: fills a ledger to 1M rows through the real record path, then times
// `query` with each single filter and `verify`, full and incremental after 10k more rows.
//   npx tsx bench/ledger-scale.ts [--rows 1000000] [--keep <dir>] [--runs 30] [--json]
// --keep builds the ledger once in <dir> and reuses it on later runs (it is never deleted).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ActionQuery, createSqliteLedger, type Ledger } from "../src/ledger/index.js";
import { manualClock } from "../src/util/clock.js";

const { values: o } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    keep: { type: "string" },
    runs: { type: "string", default: "30" },
    json: { type: "boolean", default: false },
  },
});
const ROWS = Number(o.rows);
const RUNS = Number(o.runs);
const BATCH = 10_000;
/** Rows are 100 ms apart: 1M rows span about 28 hours. */
const STEP_MS = 100;
const START = Date.parse("2026-01-01T00:00:00Z");

const home = o.keep ?? mkdtempSync(join(tmpdir(), "agov-ledger-scale-"));
const fresh = !existsSync(join(home, "ledger.db"));
const clock = manualClock(START);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** One row of a plausible mix: 50 agents, 20 tools, 1,000 sessions, 2 % refused, a few kinds. */
function record(ledger: Ledger, i: number): Promise<number> {
  const kind = i % 50 === 0 ? "session" : i % 997 === 0 ? "token" : "tool_call";
  clock.set(START + i * STEP_MS);
  return ledger.record(
    {
      kind,
      agent_id: `agent-${i % 50}`,
      tier: 1,
      action: kind === "tool_call" ? "tools/call" : kind,
      decision: i % 50 === 7 ? "deny" : "allow",
      tool: kind === "tool_call" ? `tool_${i % 20}` : null,
      session_id: `s-${Math.floor(i / 1000)}`,
      args_digest: null,
    },
    { success: i % 50 !== 7, latency_us: 100 + (i % 900) },
  );
}

async function fill(ledger: Ledger, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  for (let i = from; i < to; i += BATCH) {
    const pending: Promise<number>[] = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) pending.push(record(ledger, j));
    await Promise.all(pending);
    if ((i / BATCH) % 10 === 0) log(`  ${(i + BATCH).toLocaleString("en")} rows`);
  }
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeQuery(ledger: Ledger, q: ActionQuery) {
  let rows = 0;
  const ms: number[] = [];
  for (let r = 0; r < RUNS + 3; r++) {
    const t0 = performance.now();
    rows = (await ledger.query(q)).length;
    if (r >= 3) ms.push(performance.now() - t0);
  }
  return { median_ms: median(ms), max_ms: Math.max(...ms), rows };
}

const at = (i: number) => new Date(START + i * STEP_MS).toISOString();
const QUERIES: Array<[string, ActionQuery]> = [
  ["limit only", { limit: 50 }],
  ["agent_id", { agent_id: "agent-3", limit: 50 }],
  ["tool", { tool: "tool_4", limit: 50 }],
  ["tool (no match)", { tool: "nope", limit: 50 }],
  ["decision deny", { decision: "deny", limit: 50 }],
  ["decision allow", { decision: "allow", limit: 50 }],
  ["kind token", { kind: "token", limit: 50 }],
  ["kind tool_call", { kind: "tool_call", limit: 50 }],
  ["session_id", { session_id: "s-500", limit: 50 }],
  ["since: last 10 rows", { since: at(ROWS - 10), limit: 50 }],
  ["since: last 1k rows", { since: at(ROWS - 1_000), limit: 50 }],
  ["since: last 100k rows", { since: at(ROWS - 100_000), limit: 50 }],
  ["since: every row", { since: at(0), limit: 50 }],
  ["since: none (future)", { since: at(ROWS * 2), limit: 50 }],
];

async function main() {
  const open = () => createSqliteLedger({ home, clock });
  let t0 = performance.now();
  let ledger = open();
  const openMs = performance.now() - t0;
  const have = await ledger.count();
  if (fresh || have < ROWS) {
    log(`filling ${home} to ${ROWS.toLocaleString("en")} rows…`);
    const ms = await fill(ledger, have, ROWS);
    log(`  ${Math.round(((ROWS - have) / ms) * 1000).toLocaleString("en")} rows/s`);
  }
  const base = await ledger.count();

  const queries = [];
  for (const [name, q] of QUERIES) queries.push({ name, ...(await timeQuery(ledger, q)) });

  t0 = performance.now();
  const full = await ledger.verify({ full: true });
  const fullMs = performance.now() - t0;

  await fill(ledger, base, base + 10_000);
  await ledger.close();
  // A fresh process's view: the CLI opens the ledger, then verifies.
  t0 = performance.now();
  ledger = open();
  const incremental = await ledger.verify();
  const incrementalMs = performance.now() - t0;
  await ledger.close();
  // Leaves the kept ledger at its size, so that reruns compare like with like.
  if (o.keep) {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(join(home, "ledger.db"));
    db.prepare("DELETE FROM agent_actions WHERE id > ?").run(base);
    db.prepare("UPDATE ledger_tip SET last_id = ?, entry_hash = ?").run(
      base,
      db.prepare("SELECT entry_hash FROM agent_actions WHERE id = ?").pluck().get(base),
    );
    db.prepare("DELETE FROM ledger_meta WHERE key = 'verified_checkpoint'").run();
    db.close();
    const anchors = join(home, "keys", "anchors.jsonl");
    const kept = readFileSync(anchors, "utf8")
      .split("\n")
      .filter((l) => l.trim() && (JSON.parse(l) as { row_id: number }).row_id <= base);
    writeFileSync(anchors, kept.map((l) => `${l}\n`).join(""));
  } else rmSync(home, { recursive: true, force: true });

  const out = {
    rows: base,
    open_ms: openMs,
    queries,
    verify_full: { ms: fullMs, result: full },
    verify_incremental_after_10k: { ms: incrementalMs, result: incremental },
  };
  if (o.json) return console.log(JSON.stringify(out, null, 2));
  const f = (x: number) => x.toFixed(2);
  console.log(`ledger of ${base.toLocaleString("en")} rows (open ${f(openMs)} ms)\n`);
  console.log("| query | rows | median ms | max ms | ≤ 5 ms |\n|---|---:|---:|---:|---|");
  for (const q of queries)
    console.log(
      `| ${q.name} | ${q.rows} | ${f(q.median_ms)} | ${f(q.max_ms)} | ${q.median_ms <= 5 ? "met" : "**MISSED**"} |`,
    );
  console.log(`\nverify --full: ${f(fullMs)} ms (${JSON.stringify(full)})`);
  console.log(
    `verify after 10k new rows (open + verify): ${f(incrementalMs)} ms, ≤ 500 ms ${incrementalMs <= 500 ? "met" : "**MISSED**"} (${JSON.stringify(incremental)})`,
  );
}

await main();
