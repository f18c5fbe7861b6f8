// The fleet's one audit trail, through the real binary: two `agov serve --http` processes on one
// Redis and one PostgreSQL, driven at once, write one chain that `agov audit verify` passes, and
// `agov audit query --agent` shows an agent's calls from both instances.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agov, httpClient, httpServer, tempHome } from "../support/agov.js";
import {
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "../support/postgres-server.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

if (postgresAvailable() && redisAvailable()) {
  let pg: PostgresServer;
  let redis: RedisServer;
  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([pg?.destroy(), redis?.stop()]);
  });

  let n = 0;
  /** A home on the shared Redis and a fresh database, and a T1 token for `worker`. */
  async function fleet() {
    const home = tempHome();
    const env = {
      AGOV_HOME: home,
      AGOV_STATE: "redis",
      REDIS_URL: redis.url,
      AGOV_LEDGER: "postgres",
      AGOV_LEDGER_URL: await pg.createDatabase(`fleet_${++n}`),
    };
    const issued = await agov(
      ["token", "issue", "--agent", "worker", "--tier", "1", "--json"],
      env,
    );
    expect(issued.code, issued.stderr).toBe(0);
    const token = (JSON.parse(issued.stdout) as { token: string }).token;
    return { home, env, token };
  }
  const status = (c: Awaited<ReturnType<typeof httpClient>>, resource: string) =>
    c.client.callTool({ name: "lock_status", arguments: { resource } });

  describe("a fleet on one PostgreSQL ledger", () => {
    it("puts every call of two instances in one chain that verifies", async () => {
      const { home, env, token } = await fleet();
      const servers = await Promise.all([httpServer(home, env), httpServer(home, env)]);
      try {
        const clients = await Promise.all(servers.map((s) => httpClient(s.url, token)));
        const calls = 25;
        await Promise.all(
          clients.flatMap((c, k) =>
            Array.from({ length: calls }, (_, i) =>
              c.client.callTool({ name: "lock_status", arguments: { resource: `r-${k}-${i}` } }),
            ),
          ),
        );
        await Promise.all(clients.map((c) => c.close()));
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
      const verify = await agov(["audit", "verify", "--json"], env);
      expect(verify.code, verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
      const query = await agov(
        ["audit", "query", "--agent", "worker", "--kind", "tool_call", "--limit", "1000", "--json"],
        env,
      );
      expect(query.code, query.stderr).toBe(0);
      const rows = JSON.parse(query.stdout) as Array<{
        id: number;
        session_id: string;
        success: boolean;
      }>;
      expect(rows).toHaveLength(50);
      expect(rows.every((r) => r.success)).toBe(true);
      // One session on each instance: both wrote into the one chain.
      expect(new Set(rows.map((r) => r.session_id)).size).toBe(2);
      expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => b - a));
      rmSync(home, { recursive: true, force: true });
    }, 120_000);

    it("keeps a chain that verifies when one instance is killed with kill -9 mid-load", async () => {
      const { home, env, token } = await fleet();
      const [a, b] = await Promise.all([httpServer(home, env), httpServer(home, env)]);
      try {
        const [ca, cb] = await Promise.all([httpClient(a.url, token), httpClient(b.url, token)]);
        const load = (c: typeof ca, k: string) =>
          Promise.allSettled(Array.from({ length: 60 }, (_, i) => status(c, `${k}-${i}`)));
        // B dies with calls in flight, after some were answered; the rest are never waited on.
        let answered = 0;
        for (let i = 0; i < 200; i++)
          void status(cb, `b-${i}`)
            .then(() => answered++)
            .catch(() => {});
        while (answered < 20) await new Promise((r) => setTimeout(r, 5));
        const gone = new Promise((r) => b.child.once("exit", r));
        b.child.kill("SIGKILL");
        await gone;
        const onA = await load(ca, "a");
        expect(onA.every((r) => r.status === "fulfilled")).toBe(true);
        await ca.close();
      } finally {
        // stop() waits for an exit that a killed child has already had.
        await Promise.all([a.stop(), b.child.signalCode ? undefined : b.stop()]);
      }
      const verify = await agov(["audit", "verify", "--json"], env);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      const rows = JSON.parse(
        (await agov(["audit", "query", "--kind", "tool_call", "--limit", "1000", "--json"], env))
          .stdout,
      ) as Array<{ success: boolean | null }>;
      // A's 60 and B's 20 answered calls are there with their outcome; B's others are complete,
      // unknown (null), or were never written.
      expect(rows.filter((r) => r.success === true).length).toBeGreaterThanOrEqual(80);
      rmSync(home, { recursive: true, force: true });
    }, 120_000);

    it("refuses calls naming the database while PostgreSQL is down, and serves again when it is back", async () => {
      const { home, env, token } = await fleet();
      const server = await httpServer(home, env);
      try {
        const c = await httpClient(server.url, token);
        expect((await status(c, "before")).isError).toBeFalsy();
        await pg.stop();
        let refused: { isError?: boolean; content?: unknown };
        try {
          refused = (await status(c, "during")) as typeof refused;
        } finally {
          await pg.start();
        }
        expect(refused.isError).toBe(true);
        const text = JSON.stringify(refused.content);
        expect(text).toMatch(/UNAVAILABLE/);
        expect(text).toContain(`127.0.0.1:${pg.port}/fleet_`);
        expect(text).not.toContain("conformance-secret");
        expect((await status(c, "after")).isError).toBeFalsy();
        await c.close();
      } finally {
        await server.stop();
      }
      rmSync(home, { recursive: true, force: true });
    }, 120_000);
  });
} else {
  describe.skip("a fleet on one PostgreSQL ledger (PostgreSQL or redis-server not installed)", () => {
    it("needs both", () => {});
  });
}
