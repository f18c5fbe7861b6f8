// `npm run bench`: governed agov against a bare MCP SDK server doing the same state work, per tool,
// transport, concurrency and caller (with or without a packet), warm and interleaved over several
// rounds; then cold start over stdio and one offline `agov run`. See docs/performance.md.
//   --quick (BENCH_QUICK=1)      3 short rounds, 3 cold starts, no offline run
//   --only inproc,stdio,http,cold,offline,ledgers,telemetry   --tools read,lock,post   --concurrency 1,16,64
//   --ledger-rows N (the two ledgers compared at N rows: 1,000,000, or 20,000 with --quick)
//   --rounds N  --chunk-ms N  --warm-ms N  --json  --redis (state in a redis-server of its own)
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRedis } from "../test/support/redis-server.js";
import { cases, TOOLS, workload } from "./cases.js";
import { type ColdStart, coldStart, coldStartTable } from "./coldstart.js";
import { type Endpoint, open, ROOT, TRANSPORTS, type TransportName } from "./endpoints.js";
import { interleave, type Timing } from "./harness.js";
import { compareLedgers } from "./ledger-adapters.js";
import { offlineRun } from "./offline-run.js";
import { caseName, type Row, row, table, verdict } from "./report.js";
import { telemetryOverhead } from "./telemetry.js";
import { createWorld } from "./world.js";

const { values: o } = parseArgs({
  options: {
    quick: { type: "boolean", default: process.env.BENCH_QUICK === "1" },
    only: { type: "string", default: process.env.BENCH_ONLY },
    tools: { type: "string" },
    concurrency: { type: "string" },
    rounds: { type: "string" },
    "chunk-ms": { type: "string" },
    "warm-ms": { type: "string" },
    json: { type: "boolean", default: false },
    redis: { type: "boolean", default: false },
    "ledger-rows": { type: "string" },
  },
});
const list = (s: string | undefined) => s?.split(",").map((x) => x.trim());
const only = list(o.only);
const wants = (part: string) => !only || only.includes(part);
const num = (s: string | undefined, d: number) => (s === undefined ? d : Number(s));
const timing: Omit<Timing, "concurrency"> = {
  rounds: Math.max(3, num(o.rounds, o.quick ? 3 : 7)),
  chunks: 1,
  chunkMs: num(o["chunk-ms"], o.quick ? 100 : 400),
  warmMs: num(o["warm-ms"], o.quick ? 100 : 300),
};
const POOL = 8;
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  // stdio, HTTP and cold start run the built server: `npm run bench` builds it first.
  if (
    !existsSync(join(ROOT, "dist", "agov.js")) &&
    (wants("stdio") || wants("http") || wants("cold"))
  )
    throw new Error("dist/ is missing: run `npm run build` (npm run bench does) before the bench");
  const redis = o.redis ? await startRedis() : undefined;
  const world = await createWorld(redis ? { redisUrl: redis.url } : {});
  const load = loadavg();
  const todo = cases({
    transports: TRANSPORTS.filter(wants),
    tools: (list(o.tools) ?? TOOLS).filter((t): t is (typeof TOOLS)[number] =>
      (TOOLS as readonly string[]).includes(t),
    ),
    concurrency: (list(o.concurrency) ?? ["1", "16", "64"]).map(Number),
  });
  const rows: Row[] = [];
  let cold: ColdStart | undefined;
  let runner: string | undefined;
  let ledgers: string | null | undefined;
  let telemetry: string | undefined;
  try {
    let ep: { name: TransportName; endpoint: Endpoint } | undefined;
    for (const [i, c] of todo.entries()) {
      if (ep?.name !== c.transport) {
        await ep?.endpoint.close();
        ep = { name: c.transport, endpoint: await open(world, c.transport, POOL) };
      }
      world.resetEvents();
      const tag = `${c.transport}-c${c.concurrency}-${c.packet}-${c.bare}-${i}`;
      const bare = workload(c.bare, ep.endpoint.bare, `${tag}-b`);
      const governed = workload(c.governed, ep.endpoint.governed[c.packet], `${tag}-g`);
      const rounds = await interleave(bare, governed, { ...timing, concurrency: c.concurrency });
      rows.push(row(c, rounds));
      const r = rows.at(-1)!.ratio;
      log(
        `[${i + 1}/${todo.length}] ${caseName(c)} ${c.transport} c${c.concurrency} ${c.packet}: ratio ${r.min.toFixed(2)} / ${r.median.toFixed(2)} / ${r.max.toFixed(2)}`,
      );
    }
    await ep?.endpoint.close();
    if (wants("cold")) cold = await coldStart(world, o.quick ? 3 : 9);
    if (wants("offline") && !o.quick) runner = await offlineRun(world.gateway);
    if (wants("telemetry")) {
      log("telemetry off and on, interleaved…");
      telemetry = await telemetryOverhead(timing);
    }
    if (wants("ledgers")) {
      const rows = num(o["ledger-rows"], o.quick ? 20_000 : 1_000_000);
      log(`comparing the two ledgers at ${rows.toLocaleString("en")} rows…`);
      ledgers = await compareLedgers({ rows, quick: o.quick ?? false });
    }
  } finally {
    await world.close();
    await redis?.stop();
  }
  const end = loadavg();
  const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, load average ${load[0]!.toFixed(2)} at start, ${end[0]!.toFixed(2)} at end; state ${redis ? "Redis" : "SQLite"}`;
  const how = `${timing.rounds} rounds of ${timing.chunkMs} ms per side (warm-up ${timing.warmMs} ms, not counted), interleaved, order rotated each round`;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ machine, timing, rows, cold, runner, ledgers, telemetry }, null, 2)}\n`,
    );
    return;
  }
  const parts = [`agov bench — ${machine}\n${how}`, table(rows), verdict(rows)];
  if (cold) parts.push(coldStartTable(cold));
  if (runner) parts.push(runner);
  if (telemetry) parts.push(telemetry);
  if (ledgers) parts.push(ledgers);
  else if (ledgers === null) parts.push("(the two ledgers: skipped, PostgreSQL is not installed)");
  process.stdout.write(`${parts.join("\n\n")}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
