// Mutual exclusion under contention: 50 contenders spread over two StateStore instances (two
// connection pairs, as two agov processes would hold) fight for one lock for 1,000 rounds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateStore } from "../../src/state/index.js";
import { createRedisState } from "../../src/state/redis.js";
import { randomIds, systemClock } from "../../src/util/clock.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

const CONTENDERS = 50;
const ROUNDS = 1000;
// Far longer than the test: a lease may only pass on by release, never by expiry, so any overlap
// seen below is a broken lock, not a lapsed one.
const TTL_MS = 600_000;

describe.runIf(redisAvailable())("a contended Redis lock", () => {
  let redis: RedisServer;
  let stores: StateStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const open = () => createRedisState({ url: redis.url, clock: systemClock, ids: randomIds });
    stores = [await open(), await open()];
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it("never has two holders at once over 1,000 rounds, and its fencing tokens strictly increase", async () => {
    let inside: { holder: string; lease: string } | null = null;
    let overlaps = 0;
    let foreignStatus = 0;
    let rounds = 0;
    let refused = 0;
    let lostLeases = 0;
    const fences: number[] = [];
    const perStore = [0, 0];

    async function contender(i: number): Promise<void> {
      const mine = i % 2;
      const store = stores[mine]!;
      const other = stores[1 - mine]!;
      const holder = `agent-${i}`;
      while (rounds < ROUNDS) {
        const got = await store.locks.acquire("hot", holder, TTL_MS);
        if (!got.acquired) {
          refused++;
          // Yield to the event loop so the holder's release is not starved by our retries.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        if (inside !== null) overlaps++;
        inside = { holder, lease: got.lease_id };
        fences.push(got.fence);
        perStore[mine]!++;
        // Hold the lock across real round trips, as work would: the other instance must see us.
        const seen = await other.locks.status("hot");
        if (seen?.lease_id !== got.lease_id) foreignStatus++;
        if (inside?.lease !== got.lease_id) overlaps++;
        inside = null;
        rounds++;
        // A release refused as "not the current holder's" means someone took the lease from us.
        await store.locks.release("hot", got.lease_id).catch(() => lostLeases++);
      }
    }

    await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => contender(i)));

    expect(overlaps).toBe(0);
    expect(lostLeases).toBe(0);
    expect(foreignStatus).toBe(0);
    expect(rounds).toBeGreaterThanOrEqual(ROUNDS);
    // Contention was real, and both instances won rounds.
    expect(refused).toBeGreaterThan(0);
    expect(perStore[0]).toBeGreaterThan(0);
    expect(perStore[1]).toBeGreaterThan(0);
    // In the order holders entered the critical section, each fence is larger than the last.
    const backwards = fences.filter((f, i) => i > 0 && f <= fences[i - 1]!);
    expect(backwards).toEqual([]);
    expect(fences).toHaveLength(rounds);
  });
});
