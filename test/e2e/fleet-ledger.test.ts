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

  describe("a fleet on one PostgreSQL ledger", () => {
    it("puts every call of two instances in one chain that verifies", async () => {
      const home = tempHome();
      const env = {
        AGOV_HOME: home,
        AGOV_STATE: "redis",
        REDIS_URL: redis.url,
        AGOV_LEDGER: "postgres",
        AGOV_LEDGER_URL: await pg.createDatabase("fleet"),
      };
      const issued = await agov(
        ["token", "issue", "--agent", "worker", "--tier", "1", "--json"],
        env,
      );
      expect(issued.code, issued.stderr).toBe(0);
      const token = (JSON.parse(issued.stdout) as { token: string }).token;
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
  });
} else {
  describe.skip("a fleet on one PostgreSQL ledger (PostgreSQL or redis-server not installed)", () => {
    it("needs both", () => {});
  });
}
