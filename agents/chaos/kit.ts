// What every scenario is built from: its own directory and AGOV_HOME, agov servers it can kill
// and restart on the same port, tokens, MCP sessions, and the evidence gathered at the end.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openSession, type Session } from "./calls.js";
import type { BoardEntry, Evidence, LedgerRow } from "./history.js";
import type { Child, Procs } from "./procs.js";
import { freePort } from "./redis.js";
import type { Rng } from "./rng.js";
import { TASK } from "./workload.js";

export interface Server {
  url: string;
  child(): Child;
  kill9(): Promise<void>;
  /** Starts it again on the same port (after kill9). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface Kit {
  rng: Rng;
  quick: boolean;
  dir: string;
  procs: Procs;
  ev: Evidence;
  /** One progress line (stderr), with the time since the scenario began. */
  step(what: string): void;
  /** AGOV_HOME and the state store settings every agov process of the scenario gets. */
  env: Record<string, string>;
  serve(extra?: Record<string, string>): Promise<Server>;
  issue(agent: string, tier: number): Promise<string>;
  session(agent: string, tier: number, url: () => string): Promise<Session>;
  /** Reads the blackboard back, stops the servers gracefully, then reads and verifies the ledger. */
  collect(url: string | undefined, servers: Server[]): Promise<void>;
}

export function createKit(o: {
  rng: Rng;
  quick: boolean;
  dir: string;
  procs: Procs;
  ev: Evidence;
  log(line: string): void;
}): Kit {
  const began = Date.now();
  const home = join(o.dir, "home");
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = { AGOV_HOME: home };
  const sessions: Session[] = [];
  const kit: Kit = {
    ...o,
    env,
    step: (what) => o.log(`  +${((Date.now() - began) / 1000).toFixed(1)} s  ${what}`),
    async serve(extra = {}) {
      const port = await freePort();
      let child: Child;
      const launch = async () => {
        child = o.procs.start(["serve", "--http", String(port)], { ...env, ...extra });
        await child.waitFor(/listening on (\S+)/, 20_000);
      };
      await launch();
      return {
        url: `http://127.0.0.1:${port}/mcp`,
        child: () => child,
        kill9: async () => void (await child.kill("SIGKILL")),
        restart: launch,
        stop: async () => void (await child.kill("SIGTERM")),
      };
    },
    async issue(agent, tier) {
      const r = await o.procs.agov(
        ["token", "issue", "--agent", agent, "--tier", String(tier), "--json"],
        env,
      );
      if (r.code !== 0) throw new Error(`agov token issue failed: ${r.stderr.trim()}`);
      return String((JSON.parse(r.stdout) as { token: string }).token);
    },
    async session(agent, tier, url) {
      const s = openSession(agent, await kit.issue(agent, tier), url);
      sessions.push(s);
      return s;
    },
    async collect(url, servers) {
      kit.step("load stopped; reading the evidence");
      const ops = o.ev.ops;
      if (ops.length > 0) {
        const n = (f: (x: (typeof ops)[number]) => boolean) => ops.filter(f).length;
        o.ev.notes.push(
          `${ops.length} calls: ${n((x) => x.outcome === "ok")} acknowledged, ${n((x) => x.outcome === "refused")} refused, ${n((x) => x.outcome === "unknown")} never settled; ${n((x) => x.attempts > 1)} needed a retry`,
        );
      }
      if (url)
        o.ev.board = await readBoard(kit, url).catch((err: unknown) => {
          o.ev.notes.push(`blackboard not read: ${(err as Error).message}`);
          return null;
        });
      await Promise.all(sessions.map((s) => s.close()));
      await Promise.all(servers.map((s) => s.stop()));
      const q = await o.procs.agov(["audit", "query", "--limit", "100000", "--json"], env);
      if (q.code === 0) o.ev.ledger = (JSON.parse(q.stdout) as LedgerRow[]).reverse();
      else o.ev.notes.push(`agov audit query failed: ${q.stderr.trim()}`);
      const v = await o.procs.agov(["audit", "verify", "--full"], env);
      o.ev.verify = {
        ok: v.code === 0,
        detail: (v.code === 0 ? v.stdout : v.stderr).trim().slice(0, 160),
      };
    },
  };
  return kit;
}

async function readBoard(kit: Kit, url: string): Promise<BoardEntry[]> {
  const reader = await kit.session("chaos-reader", 0, () => url);
  const c = await reader.client();
  const data = await c.must("blackboard_read", { task_id: TASK });
  return (data.entries ?? []) as BoardEntry[];
}
