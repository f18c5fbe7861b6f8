// Exactly once under faults: a change whose state store stopped answering is reported as
// "may or may not have taken effect" (and so on the ledger), and a retry with the same
// idempotency key returns the first outcome without acting twice.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisState } from "../../src/state/redis.js";
import { randomIds, systemClock } from "../../src/util/clock.js";
import { type InProc, startInProc } from "../support/inproc.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

let env: InProc;
afterEach(async () => env?.close());

describe("idempotency keys (embedded store)", () => {
  it("lists the key on changing tools only", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const { tools } = await alpha.client.listTools();
    const props = (n: string) =>
      Object.keys(
        (tools.find((t) => t.name === n)?.inputSchema.properties ?? {}) as Record<string, unknown>,
      );
    expect(props("lock_acquire")).toContain("idempotency_key");
    expect(props("blackboard_post")).toContain("idempotency_key");
    expect(props("lock_status")).not.toContain("idempotency_key");
    const read = await alpha.call("lock_status", { resource: "db", idempotency_key: "k" });
    expect(read).toMatchObject({ isError: true, code: "INVALID_INPUT" });
  });

  it("answers a retry with the first answer, changing nothing, and records the replay", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const first = await alpha.call("lock_acquire", {
      resource: "db",
      ttl_ms: 60_000,
      idempotency_key: "take-db-1",
    });
    expect(first.isError).toBe(false);
    const again = await alpha.call("lock_acquire", {
      resource: "db",
      ttl_ms: 60_000,
      idempotency_key: "take-db-1",
    });
    expect(again.isError).toBe(false);
    expect(again.data).toEqual(first.data);
    expect(await env.rt.state.locks.status("db")).toMatchObject({ fence: 1 });
    const rows = await env.rt.ledger.query({ agent_id: "alpha", tool: "lock_acquire" });
    expect(rows.map((r) => r.action)).toEqual([
      "tools/call (replay of the first call with idempotency_key take-db-1)",
      "tools/call",
    ]);

    const other = await alpha.call("lock_acquire", {
      resource: "cache",
      ttl_ms: 60_000,
      idempotency_key: "take-db-1",
    });
    expect(other).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(other.text).toMatch(/idempotency_key "take-db-1" was used with other arguments/);
    expect(await env.rt.state.locks.status("cache")).toBeNull();
  });

  it("replays a definitive refusal, but frees the key after one that may succeed later", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const beta = await env.connect("beta", 1);
    const held = await beta.call("lock_acquire", { resource: "db", ttl_ms: 60_000 });
    const take = { resource: "db", ttl_ms: 60_000, idempotency_key: "k" };
    expect(await alpha.call("lock_acquire", take)).toMatchObject({ code: "CONFLICT" });
    await beta.call("lock_release", { resource: "db", lease_id: held.data.lease_id });
    const retried = await alpha.call("lock_acquire", take);
    expect(retried.isError).toBe(false);
    expect(retried.data).toMatchObject({ holder: "alpha", fence: 2 });

    const bad = { task_id: "t", section: "problem", key: "k", value: 1, expected_version: 5 };
    const post = { ...bad, idempotency_key: "p" };
    expect(await alpha.call("blackboard_post", post)).toMatchObject({ code: "CONFLICT" });
    expect(await alpha.call("blackboard_post", post)).toMatchObject({ code: "CONFLICT" });
  });
});

describe.runIf(redisAvailable())("idempotency keys across a Redis stall", () => {
  let redis: RedisServer;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());

  async function stalled() {
    const state = await createRedisState({
      url: redis.url,
      clock: systemClock,
      ids: randomIds,
      keyPrefix: `idem-${process.pid}-${++n}:`,
      commandTimeoutMs: 300,
    });
    env = await startInProc({ state });
    return { alpha: await env.connect("alpha", 1), state };
  }

  /**
   * Freezes Redis just as the tool's own state operation starts (after the gateway's reads and the
   * key's claim), runs `call`, then thaws Redis and lets it apply what it had queued.
   */
  async function stallDuring<T>(
    ns: Record<string, unknown>,
    method: string,
    call: () => Promise<T>,
  ): Promise<T> {
    const real = ns[method] as (...a: unknown[]) => Promise<unknown>;
    ns[method] = (...a: unknown[]) => {
      ns[method] = real;
      redis.freeze();
      return real(...a);
    };
    try {
      return await call();
    } finally {
      ns[method] = real;
      redis.thaw();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("reports a timed-out lock_acquire as unknown, and a retry returns the lease it took", async () => {
    const { alpha, state } = await stalled();
    const take = { resource: "db", ttl_ms: 60_000, idempotency_key: "take-1" };
    // The claim goes through; the acquire itself meets the stall.
    const r = await stallDuring(state.locks, "acquire", () => alpha.call("lock_acquire", take));
    expect(r).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    expect(r.text).toMatch(/may or may not have taken effect; retry with the same idempotency_key/);
    const [row] = await env.rt.ledger.query({ agent_id: "alpha", tool: "lock_acquire" });
    expect(row).toMatchObject({ success: null, error_type: "UNAVAILABLE" });

    // Redis applied the stalled acquire when it woke: alpha holds a lease nobody was told of.
    const lease = await state.locks.status("db");
    expect(lease).toMatchObject({ holder: "alpha", fence: 1 });
    const again = await alpha.call("lock_acquire", take);
    expect(again.isError, again.text).toBe(false);
    expect(again.data).toMatchObject({ lease_id: lease!.lease_id, fence: 1 });
    expect(await state.locks.status("db")).toMatchObject({ fence: 1 });
  });

  it("finds a timed-out post already made on retry, without a second version", async () => {
    const { alpha, state } = await stalled();
    const post = {
      task_id: "t",
      section: "solutions",
      key: "plan",
      value: { v: 1 },
      expected_version: 0,
      idempotency_key: "post-1",
    };
    const r = await stallDuring(state.blackboard, "post", () =>
      alpha.call("blackboard_post", post),
    );
    expect(r).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    const again = await alpha.call("blackboard_post", post);
    expect(again.isError, again.text).toBe(false);
    expect(again.data).toMatchObject({ version: 1, author: "alpha", value: { v: 1 } });
    const entries = await state.blackboard.read("t", "solutions");
    expect(entries).toMatchObject([{ key: "plan", version: 1 }]);
  });

  it("refuses to run a change that cannot tell its own effect again after an unknown outcome", async () => {
    const { alpha, state } = await stalled();
    await env.connect("beta", 1);
    const send = { task_id: "t", to: "beta", type: "INFO", body: "hi", idempotency_key: "m-1" };
    const r = await stallDuring(state.messages, "send", () => alpha.call("message_send", send));
    expect(r).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    const again = await alpha.call("message_send", send);
    expect(again).toMatchObject({ isError: true, code: "CONFLICT" });
    expect(again.text).toMatch(/outcome of the first message_send .* is unknown/);
  });
});
