// Two real `agov serve --http` instances on one Redis (and one AGOV_HOME, where the local authority
// keeps its tokens): state taken on one is seen on the other, and a revocation published through
// Redis reaches the agent's open sessions on both.
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agov, httpClient, httpServer, issueToken, tempHome, textOf } from "../support/agov.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.runIf(redisAvailable())("two agov instances on one Redis", () => {
  let redis: RedisServer;
  let home: string;
  let env: Record<string, string>;
  let a: Awaited<ReturnType<typeof httpServer>>;
  let b: Awaited<ReturnType<typeof httpServer>>;

  beforeAll(async () => {
    redis = await startRedis();
    home = tempHome("agov-multi-");
    env = { AGOV_STATE: "redis", REDIS_URL: redis.url };
    [a, b] = await Promise.all([httpServer(home, env), httpServer(home, env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it("shares locks between instances through Redis", async () => {
    const token = await issueToken(home, "sharer", 1);
    const onA = await httpClient(a.url, token);
    const onB = await httpClient(b.url, token);
    try {
      const taken = await onA.client.callTool({
        name: "lock_acquire",
        arguments: { resource: "deploy", ttl_ms: 60_000 },
      });
      expect(taken.isError).toBeFalsy();
      const lease = taken.structuredContent as { fence: number; lease_id: string };
      const seen = await onB.client.callTool({
        name: "lock_status",
        arguments: { resource: "deploy" },
      });
      expect(seen.structuredContent).toMatchObject({
        held: true,
        holder: "sharer",
        fence: lease.fence,
      });
      // The lease lives in Redis under the seed's keyspace, not in a file of AGOV_HOME.
      const direct = new Redis(redis.url);
      try {
        expect(await direct.hget("lock:deploy", "lease_id")).toBe(lease.lease_id);
        expect(Number(await direct.get("lock:deploy:fence"))).toBe(lease.fence);
      } finally {
        direct.disconnect();
      }
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });

  /** Connects `agent` to A and B, revokes it with the CLI (a third process), calls on A. */
  async function revokeWhileConnected(agent: string) {
    const token = await issueToken(home, agent, 1);
    const onA = await httpClient(a.url, token);
    const onB = await httpClient(b.url, token);
    const changed = { a: 0, b: 0 };
    onA.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changed.a++;
    });
    onB.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changed.b++;
    });
    try {
      const before = await onA.client.callTool({ name: "whoami", arguments: {} });
      expect(before.structuredContent).toMatchObject({ agent_id: agent, tier: 1 });
      expect(changed).toEqual({ a: 0, b: 0 });
      // Neither instance takes part in the revocation: it reaches them only as a Redis event.
      const revoke = await agov(["token", "revoke", "--agent", agent], { AGOV_HOME: home, ...env });
      expect(revoke.code, revoke.stderr).toBe(0);
      await waitFor("tools/list_changed on A and on B", () => changed.a > 0 && changed.b > 0);
      const next = await onA.client.callTool({ name: "whoami", arguments: {} }).then(
        (r) => textOf(r),
        (err: Error) => err.message,
      );
      return { changed, next };
    } finally {
      await Promise.all([onA.close().catch(() => {}), onB.close().catch(() => {})]);
    }
  }

  it("tells the revoked agent's sessions on both instances, and refuses its next call on A", async () => {
    const { changed, next } = await revokeWhileConnected("alpha");
    expect(changed.a).toBeGreaterThan(0);
    expect(changed.b).toBeGreaterThan(0);
    expect(next).toMatch(/token of agent alpha was revoked/);
  });

  it("audits the refused call of the revoked agent on A", async () => {
    await revokeWhileConnected("alpha-audited");
    const audit = await agov(["audit", "query", "--agent", "alpha-audited", "--json"], {
      AGOV_HOME: home,
    });
    const rows = JSON.parse(audit.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual(
      expect.objectContaining({
        agent_id: "alpha-audited",
        decision: "deny",
        error_type: "REVOKED",
      }),
    );
  });
});
