// A real Redis killed, restarted without its data and stalled under a running agov: each change of
// the state store's health is logged once, an open breaker answers at once naming Redis and the
// retry time, and locks wait out every earlier lease after the data was lost.
import { afterEach, describe, expect, it } from "vitest";
import { createRedisState } from "../../src/state/redis.js";
import { manualClock, randomIds } from "../../src/util/clock.js";
import { type InProc, startInProc } from "../support/inproc.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function memoryLog() {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, log: { info: at("info"), warn: at("warn") } };
}

describe.runIf(redisAvailable())("state store health on Redis", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  async function setup(commandTimeoutMs?: number) {
    const redis: RedisServer = await startRedis();
    cleanups.push(() => redis.stop());
    const clock = manualClock(Date.parse("2026-03-01T12:00:00Z"));
    const { lines, log } = memoryLog();
    const state = await createRedisState({
      url: redis.url,
      clock,
      ids: randomIds,
      log,
      ...(commandTimeoutMs ? { commandTimeoutMs } : {}),
    });
    const env: InProc = await startInProc(
      { state, clock, log },
      { state: "redis", redis_url: redis.url },
    );
    cleanups.push(() => env.close());
    const where = `state store (redis at 127.0.0.1:${redis.port})`;
    const said = (text: string) => lines.filter((l) => l.msg.includes(text));
    return { redis, clock, lines, said, env, where, state };
  }

  it("logs a Redis kill once as down and once as back, with how long it was away", async () => {
    const { redis, clock, said, env, where, state } = await setup();
    await redis.kill();
    for (let i = 0; i < 6; i++) await env.rt.state.agents.heartbeat("alpha", 1000).catch(() => {});
    expect(env.rt.health.report().dependencies).toContainEqual(
      expect.objectContaining({ name: "state", status: "down", breaker: "open" }),
    );
    expect(env.rt.health.status()).toBe("down");
    expect(said(`${where} is down`)).toHaveLength(1);
    expect(said(`${where} is down`)[0]).toMatchObject({ level: "warn" });

    await redis.restart();
    // Past the breaker (the raw store), so that the one probe the cool-down allows meets Redis.
    await until("the connection to come back", async () => {
      await state.agents.heartbeat("beta", 1000);
      return true;
    });
    clock.advance(7_000);
    await until("the probe to find Redis back", async () => {
      await env.rt.health.probe();
      return env.rt.health.status() === "ok" ? true : undefined;
    });
    const back = said(`${where} is back after`);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: "info" });
    expect(back[0]!.msg).toMatch(/is back after 7\.0 s$/);
    expect(said(`${where} is down`)).toHaveLength(1);
  });

  it("logs a stalled Redis (SIGSTOP) as down after its probes time out, and back after SIGCONT", async () => {
    const { redis, clock, said, env, where } = await setup(200);
    redis.freeze();
    try {
      for (let i = 0; i < 3; i++) await env.rt.health.probe();
      expect(said(`${where} is down`)).toHaveLength(1);
      expect(said(`${where} is down`)[0]!.msg).toMatch(/gave no reply within 200 ms/);
    } finally {
      redis.thaw();
    }
    clock.advance(5_000);
    await until("the probe to find Redis back", async () => {
      await env.rt.health.probe();
      return env.rt.health.status() === "ok" ? true : undefined;
    });
    expect(said(`${where} is back after`)).toHaveLength(1);
  });

  it("answers at once with UNAVAILABLE naming Redis and the retry time while its breaker is open", async () => {
    const { redis, clock, env, where } = await setup();
    const alpha = await env.connect("alpha", 1);
    await redis.kill();
    for (let i = 0; i < 3; i++) await alpha.call("lock_status", { resource: "db" });
    const r = await alpha.client.callTool({ name: "lock_status", arguments: { resource: "db" } });
    expect(r.isError).toBe(true);
    expect(r._meta?.["agov/error"]).toMatchObject({
      code: "UNAVAILABLE",
      reason: "DEPENDENCY_DOWN",
      dependency: "state",
      retryable: true,
      retry_at: clock.now() + 5000,
    });
    const text = (r.content as Array<{ text: string }>)[0]!.text;
    expect(text).toContain(`UNAVAILABLE (DEPENDENCY_DOWN): ${where} is down`);
    expect(text).toContain(`agov tries it again at ${new Date(clock.now() + 5000).toISOString()}`);
  });

  it("refuses lock_acquire after Redis lost its data, until every earlier lease is over, with higher fences", async () => {
    const { redis, clock, said, env } = await setup();
    const alpha = await env.connect("alpha", 1);
    const first = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 600_000 });
    expect(first.isError, first.text).toBe(false);
    const fence = first.data.fence as number;

    await redis.restart(); // no persistence: every key is gone, the fence counter too
    await until("the restarted Redis to answer", async () => {
      await env.rt.state.agents.heartbeat("alpha", 1000);
      return true;
    });
    const refused = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 1000 });
    expect(refused).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    const until600 = new Date(clock.now() + 600_000).toISOString();
    expect(refused.text).toContain(
      `UNAVAILABLE (LOCKS_HELD_AFTER_DATA_LOSS): locks are refused until ${until600}`,
    );
    const lost = said("lost its data");
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ level: "warn" });

    clock.advance(599_000);
    expect((await alpha.call("lock_acquire", { resource: "db", ttl_ms: 1000 })).isError).toBe(true);
    clock.advance(1_000);
    const after = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 1000 });
    expect(after.isError, after.text).toBe(false);
    // Above every fence handed out before the loss, though Redis counted from zero again.
    expect(after.data.fence as number).toBeGreaterThan(fence);
    expect(after.data.fence as number).toBeGreaterThan(Date.parse("2026-03-01T12:00:00Z"));
    expect(said("lost its data")).toHaveLength(1);
  });
});
