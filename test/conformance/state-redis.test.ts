// The StateStore contract against the Redis adapter on a real redis-server. Each test gets its own
// key prefix (and so its own event channel), as two processes sharing one Redis would.
import { afterAll, beforeAll, describe, it } from "vitest";
import { createRedisState } from "../../src/state/redis.js";
import { randomIds } from "../../src/util/clock.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";
import { stateConformance } from "./state.suite.js";

if (redisAvailable()) {
  let server: RedisServer;
  let n = 0;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => server?.stop());

  stateConformance("redis", async (clock) => {
    const keyPrefix = `conformance-${process.pid}-${++n}:`;
    const open = () => createRedisState({ url: server.url, clock, ids: randomIds, keyPrefix });
    const store = await open();
    return { store, other: open, cleanup: () => store.close() };
  });
} else {
  describe.skip("StateStore conformance: redis (redis-server not installed)", () => {
    it("needs redis-server", () => {});
  });
}
