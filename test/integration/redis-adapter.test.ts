// What the Redis adapter promises beyond the StateStore contract: the seed's keyspace, scripts
// that touch only declared keys (DragonflyDB), resumable message paging across the per-agent and
// broadcast streams, and Redis expiries that never undercut the injected clock.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateStore } from "../../src/state/index.js";
import { createRedisState } from "../../src/state/redis.js";
import { SCRIPTS } from "../../src/state/redis-scripts.js";
import { manualClock, randomIds } from "../../src/util/clock.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

describe("Redis scripts", () => {
  it("name only keys passed in KEYS, as DragonflyDB requires", () => {
    for (const [name, { lua }] of Object.entries(SCRIPTS)) {
      const calls = [...lua.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)];
      expect(calls.length, name).toBeGreaterThan(0);
      for (const [, command, firstArg] of calls)
        expect(firstArg, `${name}: ${command}`).toMatch(/^KEYS\[(\d+|i)\]$/);
    }
  });
});

describe.runIf(redisAvailable())("Redis adapter", () => {
  let redis: RedisServer;
  let raw: Redis;
  let n = 0;
  const open = (clock = manualClock(), keyPrefix = `adapter-${++n}:`) =>
    createRedisState({ url: redis.url, clock, ids: randomIds, keyPrefix });
  const stores: StateStore[] = [];
  const track = async (p: Promise<StateStore>) => {
    const s = await p;
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it("keeps runtime state under the seed's keyspace", async () => {
    const s = await track(open(manualClock(), "seed:"));
    await s.agents.putPacket("alpha", { objective: "o" });
    await s.agents.setState("alpha", { phase: "PLAN" });
    await s.errors.record("alpha", "TIMEOUT");
    await s.agents.heartbeat("alpha", 30_000);
    await s.tasks.setActiveAgent("t1", "alpha");
    await s.tasks.addArtifact("t1", "plan");
    await s.tasks.putHandoff("t1", { previous_agent_id: "alpha" });
    await s.blackboard.post({
      task_id: "t1",
      section: "solutions",
      key: "p1",
      value: 1,
      author: "alpha",
      expected_version: 0,
    });
    await s.messages.send({ task_id: "t1", from: "alpha", to: "beta", type: "INFO", body: 1 });
    await s.messages.send({ task_id: "t1", from: "alpha", to: "ALL", type: "INFO", body: 2 });
    await s.revocations.append({
      agent_id: "x",
      task_id: null,
      reason_type: "X",
      details: "",
      at: 1,
    });
    await s.locks.acquire("db", "alpha", 1000);
    const types: Record<string, string> = {};
    for (const key of await raw.keys("seed:*")) types[key.slice(5)] = await raw.type(key);
    expect(types).toMatchObject({
      "agent:alpha:packet": "string",
      "agent:alpha:state": "string",
      "agent:alpha:errors": "hash",
      "agent:alpha:heartbeat": "string",
      "task:t1:active_agent": "string",
      "task:t1:artifacts": "list",
      "handoff:t1:latest": "string",
      "blackboard:t1:solutions": "hash",
      "msg:t1:beta": "stream",
      "msg:t1:ALL": "stream",
      "revocations:ledger": "list",
      "lock:db": "hash",
      "lock:db:fence": "string",
    });
    expect(await raw.pttl("seed:agent:alpha:heartbeat")).toBeGreaterThan(0);
  });

  it("keeps ids containing ':' apart", async () => {
    const s = await track(open());
    await s.messages.send({ task_id: "a:b", from: "x", to: "c", type: "INFO", body: "one" });
    await s.messages.send({ task_id: "a", from: "x", to: "b:c", type: "INFO", body: "two" });
    expect((await s.messages.read("a:b", "c")).map((m) => m.body)).toEqual(["one"]);
    expect((await s.messages.read("a", "b:c")).map((m) => m.body)).toEqual(["two"]);
    expect(await s.messages.read("a:b:c", "x")).toEqual([]);
  });

  it("pages through direct messages and others' broadcasts without skipping or repeating one", async () => {
    const s = await track(open());
    const expected: number[] = [];
    for (let i = 0; i < 40; i++) {
      // A mix of direct messages, broadcasts from others, own broadcasts and others' mail.
      const kind = i % 4;
      const from = kind === 2 ? "beta" : "alpha";
      const to = kind === 0 ? "beta" : kind === 3 ? "gamma" : "ALL";
      await s.messages.send({ task_id: "t", from, to, type: "INFO", body: i });
      if (kind === 0 || kind === 1) expected.push(i);
    }
    const all = await s.messages.read("t", "beta", undefined, 1000);
    expect(all.map((m) => m.body)).toEqual(expected);
    const paged: unknown[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const got = await s.messages.read("t", "beta", after, 3);
      if (got.length === 0) break;
      expect(got.length).toBeLessThanOrEqual(3);
      paged.push(...got.map((m) => m.body));
      after = got.at(-1)!.id;
    }
    expect(paged).toEqual(expected);
  });

  it("refuses an after_id it never issued", async () => {
    const s = await track(open());
    for (const bad of ["1-0", "abc", "-1", "1.5"])
      await expect(s.messages.read("t", "beta", bad)).rejects.toMatchObject({
        code: "INVALID_INPUT",
      });
  });

  it("sets Redis expiries only as garbage collection, never shorter than the clock's TTL", async () => {
    const clock = manualClock(0); // far from real time, as in any test
    const s = await track(open(clock, "gc:"));
    const lease = await s.locks.acquire("db", "alpha", 5000);
    if (!lease.acquired) throw new Error("expected acquire");
    expect(await raw.pttl("gc:lock:db")).toBeGreaterThan(5000);
    expect(await raw.pttl("gc:lock:db:fence")).toBe(-1);
    await s.agents.heartbeat("alpha", 5000);
    expect(await raw.pttl("gc:agent:alpha:heartbeat")).toBeGreaterThan(5000);
    clock.advance(4000);
    const refreshed = await s.locks.refresh("db", lease.lease_id, 20_000);
    expect(refreshed.expires_at).toBe(24_000);
    expect(await raw.pttl("gc:lock:db")).toBeGreaterThan(20_000);
  });

  it("ignores foreign messages on its event channel", async () => {
    const s = await track(open(manualClock(), "events:"));
    const seen: unknown[] = [];
    s.events.subscribe((e) => seen.push(e));
    await raw.publish("events:agov:events", "not json");
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) {
      await s.events.publish({ type: "revoked", agent_id: "alpha" });
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen[0]).toEqual({ type: "revoked", agent_id: "alpha" });
  });
});
