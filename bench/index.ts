// `npm run bench`: the same tool call on the bare MCP SDK and on agov, over in-memory, stdio and
// Streamable HTTP, measured in one run; prints calls/s, p50/p99 and the governed/bare ratio.
// Figures of a run are recorded in docs/performance.md. BENCH_ITERATIONS sets the calls per case.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { connectGoverned } from "../agents/client.js";
import { createOfflineModel } from "../agents/offline-model.js";
import { PARTICIPANT_TIERS, runTask } from "../agents/orchestrator.js";
import { httpTransport, scopedFetch } from "../agents/transports.js";
import type { Tier } from "../src/authority/index.js";
import { defaults } from "../src/config/index.js";
import { createRuntime } from "../src/runtime.js";
import { createGateway } from "../src/server/gateway.js";
import { connectInMemory } from "../src/server/memory.js";
import { createSqliteState } from "../src/state/sqlite.js";
import { randomIds, systemClock } from "../src/util/clock.js";
import { redisAvailable, startRedis } from "../test/support/redis-server.js";
import { TOOLS } from "../tools/index.js";
import { createBareServer } from "./bare-server.js";
import { type Comparison, compare, measure, table } from "./harness.js";
import { benchRedisLocks } from "./locks-redis.js";

const ROOT = join(import.meta.dirname, "..");
const ITER = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ARGS = { name: "lock_status", arguments: { resource: "bench" } };

async function client(transport: Transport): Promise<Client> {
  const c = new Client({ name: "bench", version: "0" });
  await c.connect(transport);
  return c;
}

async function run(c: Client, args: { name: string; arguments: Record<string, unknown> } = ARGS) {
  return measure(
    async () => {
      const r = await c.callTool(args);
      if (r.isError) throw new Error(`call failed: ${JSON.stringify(r.content)}`);
    },
    { iterations: ITER },
  );
}

function waitForUrl(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stderr!.on("data", (d) => {
      buf += d;
      const m = buf.match(pattern);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}): ${buf}`)));
  });
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "agov-bench-"));
  const config = { ...defaults(home), home, log_level: "warn" as const };
  const rt = await createRuntime(config);
  const { token } = await rt.authority.issue({ agent_id: "bench", tier: 0, ttl_ms: 3_600_000 });
  const gateway = createGateway(rt, TOOLS);
  const bareState = createSqliteState({ home, clock: systemClock, ids: randomIds });
  const env = { ...process.env, AGOV_HOME: home, AGOV_LOG_LEVEL: "warn" };
  const results: Comparison[] = [];

  // In-memory: both servers in this process.
  {
    const [a, b] = InMemoryTransport.createLinkedPair();
    await createBareServer(bareState).connect(b);
    const bare = await client(a);
    const gov = await client((await connectInMemory(gateway, token)).transport);
    results.push(compare("in-memory", await run(bare), await run(gov), 0.4));
    // A tool that writes state pays for its ledger row before it runs and its outcome after.
    const hb = { name: "heartbeat", arguments: {} };
    results.push(compare("in-memory, write tool", await run(bare, hb), await run(gov, hb)));
    await Promise.all([bare.close(), gov.close()]);
  }

  // stdio: each server a child process, launched the way an MCP client launches it.
  {
    const tsx = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const bare = await client(
      new StdioClientTransport({
        command: process.execPath,
        args: [tsx, join(ROOT, "bench", "bare-server.ts"), "stdio", home],
        env,
      }),
    );
    const gov = await client(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(ROOT, "bin", "agov.js"), "serve"],
        env: { ...env, AGOV_TOKEN: token },
      }),
    );
    results.push(compare("stdio", await run(bare), await run(gov)));
    await Promise.all([bare.close(), gov.close()]);
  }

  // Streamable HTTP: each server a child process on a loopback port.
  {
    const tsx = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const bareProc = spawn(
      process.execPath,
      [tsx, join(ROOT, "bench", "bare-server.ts"), "http", home],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    const govProc = spawn(
      process.execPath,
      [join(ROOT, "bin", "agov.js"), "serve", "--http", "0"],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    try {
      const bareUrl = await waitForUrl(bareProc, /listening on (\S+)/);
      const govUrl = await waitForUrl(govProc, /listening on (\S+)/);
      const bare = await client(
        new StreamableHTTPClientTransport(new URL(bareUrl), { fetch: scopedFetch }),
      );
      const gov = await client(httpTransport(govUrl, token));
      results.push(compare("streamable-http", await run(bare), await run(gov), 0.8));
      await Promise.all([bare.close(), gov.close()]);
    } finally {
      bareProc.kill();
      govProc.kill();
    }
  }

  // Redis locks: the adapter's Lua scripts against a raw SET NX PX + DEL on the same server.
  if (redisAvailable()) {
    const redis = await startRedis();
    try {
      results.push(await benchRedisLocks({ url: redis.url, iterations: ITER }));
    } finally {
      await redis.stop();
    }
  } else {
    process.stderr.write("bench: redis-server not installed; skipping the Redis lock case\n");
  }

  const runner = await offlineRun(gateway);

  gateway.close();
  await bareState.close();
  await rt.close();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(
    `agov bench — ${ITER} sequential calls per case (lock_status unless noted), Node ${process.version}, ${cpus().length} × ${cpu}\n\n${table(results)}\n\n${runner}\n`,
  );
}

/** One offline `agov run` in this process: its wall time and the share spent in governed calls. */
async function offlineRun(gateway: ReturnType<typeof createGateway>): Promise<string> {
  const rt = gateway.runtime;
  const rows = await rt.ledger.count();
  const result = await runTask({
    objective: "Design a distributed event-driven analytics platform",
    taskId: "bench-run",
    agentIds: { ORCHESTRATOR: "b-orch", ALPHA: "b-alpha", BETA: "b-beta", GAMMA: "b-gamma" },
    model: createOfflineModel(),
    timeoutMs: 120_000,
    async connect(who, agentId) {
      const { token } = await rt.authority.issue({
        agent_id: agentId,
        tier: PARTICIPANT_TIERS[who] as Tier,
        ttl_ms: 600_000,
      });
      return connectGoverned(agentId, (await connectInMemory(gateway, token)).transport);
    },
  });
  const m = result.metrics;
  const share = (m.governance_ms / m.duration_ms) * 100;
  return [
    "| offline agov run (in-memory) | value |",
    "|---|---:|",
    `| wall time | ${(m.duration_ms / 1000).toFixed(2)} s |`,
    `| governed calls | ${m.governance_calls} (${(await rt.ledger.count()) - rows} ledger rows) |`,
    `| time in governed calls, summed over agents | ${m.governance_ms} ms |`,
    `| share of wall time in governed calls | ${share.toFixed(1)} % |`,
    `| outcome | ${m.consensus}, GAMMA on ${m.gamma_spawn_reason ?? "—"} |`,
  ].join("\n");
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
