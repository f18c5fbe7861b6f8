// Redis going away mid-run: every call fails at once with UNAVAILABLE (never hangs, never crashes
// agov), the failure is audited, and service resumes by itself when Redis is back on its port.
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { AgovEvent, StateStore } from "../../src/state/index.js";
import { createRedisState } from "../../src/state/redis.js";
import { randomIds, systemClock } from "../../src/util/clock.js";
import { agov, httpClient, httpServer, issueToken, tempHome } from "../support/agov.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

/** Settles `p` or fails the test when it takes longer than `ms`: the guard against a hang. */
async function settlesWithin<T>(ms: number, p: Promise<T>): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([p]).then(([r]) => r!), hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const codeOf = (r: PromiseSettledResult<unknown>) =>
  r.status === "rejected" ? (r.reason as { code?: string }).code : "fulfilled";

describe.runIf(redisAvailable())("Redis outage", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  async function server(): Promise<RedisServer> {
    const s = await startRedis();
    cleanups.push(() => s.stop());
    return s;
  }
  async function store(url: string, commandTimeoutMs?: number): Promise<StateStore> {
    const s = await createRedisState({
      url,
      clock: systemClock,
      ids: randomIds,
      ...(commandTimeoutMs ? { commandTimeoutMs } : {}),
    });
    cleanups.push(() => s.close());
    return s;
  }

  it("fails every kind of call with UNAVAILABLE while Redis is down, then serves again and resubscribes", async () => {
    const redis = await server();
    const s = await store(redis.url);
    const seen: AgovEvent[] = [];
    s.events.subscribe((e) => seen.push(e));
    expect((await s.locks.acquire("db", "alpha", 60_000)).acquired).toBe(true);

    await redis.kill();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["locks.acquire", () => s.locks.acquire("db2", "alpha", 1000)],
      ["locks.status", () => s.locks.status("db")],
      ["locks.releaseAll", () => s.locks.releaseAll("alpha")],
      ["blackboard.read", () => s.blackboard.read("t")],
      [
        "messages.send",
        () => s.messages.send({ task_id: "t", from: "a", to: "b", type: "INFO", body: 1 }),
      ],
      ["agents.heartbeat", () => s.agents.heartbeat("alpha", 1000)],
      ["errors.record", () => s.errors.record("alpha", "X")],
      ["events.publish", () => s.events.publish({ type: "revoked", agent_id: "x" })],
    ];
    for (const [name, call] of calls) {
      const r = await settlesWithin(3000, call());
      expect(codeOf(r), name).toBe("UNAVAILABLE");
      if (r.status === "rejected") {
        expect((r.reason as Error).message).toMatch(/^state store \(redis\) unavailable: /);
        expect((r.reason as { retryable: boolean }).retryable).toBe(true);
      }
    }

    await redis.restart();
    // The restarted server is empty: serving again, but a lease handed out before may still be
    // held by someone who was never told it is gone, so locks stay refused until every earlier
    // lease has run out (the lock is not silently free again).
    await until("a write after restart", async () => {
      await s.agents.heartbeat("beta", 60_000);
      return true;
    });
    const refused = await until("the quarantine's answer", async () =>
      s.locks.acquire("db", "beta", 60_000).then(
        () => undefined,
        (err: { reason?: string; message: string }) =>
          err.reason === "LOCKS_HELD_AFTER_DATA_LOSS" ? err : undefined,
      ),
    );
    expect(refused).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(refused.message).toMatch(/^locks are refused until \d{4}-\d\d-\d\dT.* lost its data/);
    expect(await s.locks.status("db")).toBeNull();
    // The subscriber connection came back too, and is subscribed again.
    await until("an event after restart", async () => {
      await s.events.publish({ type: "tier_changed", agent_id: "alpha", tier: 2 });
      await new Promise((r) => setTimeout(r, 50));
      return seen.length > 0 ? true : undefined;
    });
    expect(seen[0]).toEqual({ type: "tier_changed", agent_id: "alpha", tier: 2 });
  });

  it("fails a call to a Redis that stops answering after the command timeout", async () => {
    const redis = await server();
    const s = await store(redis.url, 300);
    await s.agents.heartbeat("alpha", 1000);
    redis.freeze();
    try {
      const r = await settlesWithin(3000, s.agents.heartbeat("alpha", 1000));
      expect(codeOf(r)).toBe("UNAVAILABLE");
      expect((r as PromiseRejectedResult).reason.message).toMatch(
        /no reply within 300 ms: the change may or may not have taken effect/,
      );
      expect((r as PromiseRejectedResult).reason.details).toMatchObject({ outcome: "unknown" });
      // A read that gets no answer changed nothing: its outcome is known.
      const read = await settlesWithin(3000, s.agents.getPacket("alpha"));
      expect((read as PromiseRejectedResult).reason.details).toMatchObject({
        outcome: "not applied",
      });
    } finally {
      redis.thaw();
    }
  });

  it("refuses to open a store on a Redis that is not there, quickly and clearly", async () => {
    const redis = await server();
    await redis.kill();
    const r = await settlesWithin(
      3000,
      createRedisState({ url: redis.url, clock: systemClock, ids: randomIds }),
    );
    expect(codeOf(r)).toBe("UNAVAILABLE");
    expect((r as PromiseRejectedResult).reason.message).toMatch(
      new RegExp(`cannot connect .*127\\.0\\.0\\.1:${redis.port}`),
    );
  });

  it("keeps agov serving through an outage: UNAVAILABLE to the MCP client, audited, then recovered without a restart", async () => {
    const redis = await server();
    const home = tempHome("agov-outage-");
    const env = { AGOV_STATE: "redis", REDIS_URL: redis.url };
    const agovServer = await httpServer(home, env);
    cleanups.push(() => agovServer.stop());
    const c = await httpClient(agovServer.url, await issueToken(home, "alpha", 1));
    cleanups.push(() => c.close());
    let changed = 0;
    c.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changed++;
    });
    const acquire = (resource: string) =>
      c.client.callTool({ name: "lock_acquire", arguments: { resource, ttl_ms: 60_000 } });
    expect((await acquire("before")).isError).toBeFalsy();

    await redis.kill();
    const r = await settlesWithin(5000, acquire("during"));
    if (r.status !== "fulfilled") throw r.reason;
    expect(r.value.isError).toBe(true);
    expect(r.value._meta?.["agov/error"]).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(agovServer.child.exitCode).toBeNull();

    await redis.restart();
    const post = () =>
      c.client.callTool({
        name: "blackboard_post",
        arguments: { task_id: "t", section: "progress", key: "k", value: 1, expected_version: 0 },
      });
    const after = await until("blackboard_post after Redis is back", async () => {
      const res = await post();
      return res.isError ? undefined : res;
    });
    expect(after.structuredContent).toMatchObject({ key: "k", version: 1, author: "alpha" });
    // Redis came back empty (no persistence): locks wait until every earlier lease has run out.
    const quarantined = await acquire("after");
    expect(quarantined._meta?.["agov/error"]).toMatchObject({
      code: "UNAVAILABLE",
      reason: "LOCKS_HELD_AFTER_DATA_LOSS",
      retryable: true,
    });

    // agov's event subscription survived the outage: a revocation still reaches the session.
    const revoke = await agov(["token", "revoke", "--agent", "alpha"], { AGOV_HOME: home, ...env });
    expect(revoke.code, revoke.stderr).toBe(0);
    await until("tools/list_changed after the outage", async () =>
      changed > 0 ? true : undefined,
    );

    const rows = JSON.parse(
      (await agov(["audit", "query", "--agent", "alpha", "--json"], { AGOV_HOME: home })).stdout,
    ) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual(
      expect.objectContaining({ tool: "lock_acquire", success: false, error_type: "UNAVAILABLE" }),
    );
  });
});
