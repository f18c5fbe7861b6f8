// What every case runs against: one AGOV_HOME (or one Redis) shared by agov and the bare server,
// so both sides see the same tables grow; an in-process gateway; two T1 agents, one without a
// packet and one under a packet walked to EXECUTE by a T3 orchestrator, as a governed run is.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import Database from "better-sqlite3";
import { defaults } from "../src/config/index.js";
import { createRuntime, type Runtime } from "../src/runtime.js";
import { createGateway, type Gateway } from "../src/server/gateway.js";
import { connectInMemory } from "../src/server/memory.js";
import type { StateStore } from "../src/state/index.js";
import { createSqliteState } from "../src/state/sqlite.js";
import { randomIds, systemClock } from "../src/util/clock.js";
import { TOOLS } from "../tools/index.js";

/** The task every post goes to (the packet's), and the one every read reads (8 entries). */
export const TASK = "bench";
export const READ_TASK = "bench-read";
export const AGENTS = { free: "bench-free", held: "bench-held" } as const;
export type Packet = keyof typeof AGENTS;

export interface World {
  home: string;
  redisUrl?: string;
  rt: Runtime;
  gateway: Gateway;
  bareState: StateStore;
  tokens: Record<Packet, string>;
  /** Environment for child servers (agov serve and the bare one) on this home. */
  env: Record<string, string>;
  /**
   * Empties the SQLite events table (Redis events are pub/sub and keep nothing), so a post case
   * does not depend on how many posts ran before it. Both sides post to this one table.
   */
  resetEvents(): void;
  close(): Promise<void>;
}

export async function client(transport: Transport, name = "bench"): Promise<Client> {
  const c = new Client({ name, version: "0" });
  await c.connect(transport);
  return c;
}

/** Calls a tool and throws on an error result: a benchmark of refusals measures nothing. */
export async function call(c: Client, name: string, args: Record<string, unknown> = {}) {
  const r = await c.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return (r.structuredContent ?? {}) as Record<string, unknown>;
}

export async function createWorld(opts: { redisUrl?: string } = {}): Promise<World> {
  const home = mkdtempSync(join(tmpdir(), "agov-bench-"));
  const limits = { max_sessions_per_agent: 10_000, max_sessions: 100_000 };
  const redis = opts.redisUrl ? { state: "redis" as const, redis_url: opts.redisUrl } : {};
  const config = { ...defaults(home), home, log_level: "warn" as const, ...limits, ...redis };
  const rt = await createRuntime(config);
  const gateway = createGateway(rt, TOOLS);
  const bareState = opts.redisUrl
    ? await (await import("../src/state/redis.js")).createRedisState({
        url: opts.redisUrl,
        clock: systemClock,
        ids: randomIds,
      })
    : createSqliteState({ home, clock: systemClock, ids: randomIds });
  const issue = async (agent_id: string, tier: 1 | 3) =>
    (await rt.authority.issue({ agent_id, tier, ttl_ms: 6 * 3_600_000 })).token;
  const tokens = { free: await issue(AGENTS.free, 1), held: await issue(AGENTS.held, 1) };
  await underPacket(gateway, await issue("bench-orchestrator", 3), tokens.held);
  for (let i = 0; i < 8; i++)
    await bareState.blackboard.post({
      task_id: READ_TASK,
      section: i % 2 ? "solutions" : "problem",
      key: `entry-${i}`,
      value: { note: `entry ${i}`, items: [1, 2, 3] },
      author: "bench",
      expected_version: 0,
    });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    AGOV_HOME: home,
    AGOV_LOG_LEVEL: "warn",
    AGOV_MAX_SESSIONS_PER_AGENT: String(limits.max_sessions_per_agent),
    AGOV_MAX_SESSIONS: String(limits.max_sessions),
    ...(opts.redisUrl ? { AGOV_STATE: "redis", REDIS_URL: opts.redisUrl } : {}),
  };
  return {
    home,
    ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}),
    rt,
    gateway,
    bareState,
    tokens,
    env,
    resetEvents() {
      if (opts.redisUrl) return;
      const db = new Database(join(home, "state.db"));
      db.pragma("busy_timeout = 5000");
      db.exec("DELETE FROM events");
      db.close();
    },
    async close() {
      gateway.close();
      await bareState.close();
      await rt.close();
    },
  };
}

/** The orchestrator gives the agent a packet; the agent walks BOOTSTRAP → … → EXECUTE. */
async function underPacket(gateway: Gateway, orchToken: string, agentToken: string) {
  const orch = await client((await connectInMemory(gateway, orchToken)).transport);
  await call(orch, "packet_create", {
    agent_id: AGENTS.held,
    task_id: TASK,
    objective: "measure the governed call path",
  });
  const agent = await client((await connectInMemory(gateway, agentToken)).transport);
  for (const phase of ["BOOTSTRAP", "PREFLIGHT", "PLAN", "EXECUTE"]) {
    await call(agent, "phase_transition", { phase });
    if (phase === "PLAN")
      await call(agent, "artifact_record", {
        name: "plan",
        kind: "plan",
        content: { steps: ["call tools in a loop"] },
      });
  }
  await Promise.all([orch.close(), agent.close()]);
}
