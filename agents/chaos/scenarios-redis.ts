// Faults in the state store: Redis killed and restarted (with AOF, and with no persistence at all)
// and Redis stalled with SIGSTOP, under a write load through one `agov serve --http`.
import type { Kit } from "./kit.js";
import { type ChaosRedis, startRedis } from "./redis.js";
import { cycles, hold, progress, recovery, type Scenario, startWork } from "./scenario.js";

async function onRedis(kit: Kit, persist: boolean): Promise<ChaosRedis> {
  const redis = await startRedis(kit.procs, kit.dir, persist);
  kit.env.AGOV_STATE = "redis";
  kit.env.REDIS_URL = redis.url;
  kit.ev.durable = persist;
  return redis;
}

function redisKill(persist: boolean): Scenario {
  return {
    name: persist ? "redis-kill-aof" : "redis-kill-nopersist",
    summary: `Redis ${persist ? "with AOF (appendfsync always)" : "without persistence"} killed -9 under write load, then restarted`,
    needsRedis: true,
    async run(kit) {
      const redis = await onRedis(kit, persist);
      const server = await kit.serve();
      const work = await startWork(kit, [() => server.url]);
      await progress(kit, 10);
      for (let i = 0; i < cycles(kit); i++) {
        await redis.kill9();
        kit.step("redis-server killed -9");
        await hold(kit, 300, 900);
        await redis.restart();
        const back = Date.now();
        kit.step("redis-server restarted");
        await recovery(kit, back, () => server.child().alive());
        // Without persistence locks stay quarantined for the longest lease after the loss: no
        // worker can complete a cycle, so waiting for ten of them would only burn the deadline.
        if (persist) await progress(kit, 10, back).catch(() => {});
      }
      await work.stop();
      await kit.collect(server.url, [server]);
      await redis.stop();
    },
  };
}

const redisStall: Scenario = {
  name: "redis-stall",
  summary: "Redis stopped (SIGSTOP) past the 2 s command timeout under write load, then continued",
  needsRedis: true,
  async run(kit) {
    const redis = await onRedis(kit, true);
    const server = await kit.serve();
    const work = await startWork(kit, [() => server.url]);
    await progress(kit, 10);
    for (let i = 0; i < cycles(kit); i++) {
      redis.stall();
      kit.step("redis-server stopped (SIGSTOP)");
      await hold(kit, 2500, 3500);
      redis.resume();
      const back = Date.now();
      kit.step("redis-server continued (SIGCONT)");
      await recovery(kit, back, () => server.child().alive());
      await progress(kit, 10, back).catch(() => {});
    }
    await work.stop();
    await kit.collect(server.url, [server]);
    await redis.stop();
  },
};

const twoServers: Scenario = {
  name: "two-servers",
  summary: "two agov servers on one Redis (AOF), workers on both contending for the same two locks",
  needsRedis: true,
  async run(kit) {
    const redis = await onRedis(kit, true);
    const a = await kit.serve();
    const b = await kit.serve();
    const work = await startWork(kit, [() => a.url, () => b.url], 4);
    await progress(kit, kit.quick ? 60 : 300, 0, 60_000);
    await work.stop();
    await kit.collect(a.url, [a, b]);
    await redis.stop();
  },
};

export const REDIS_SCENARIOS: Scenario[] = [
  redisKill(true),
  redisKill(false),
  redisStall,
  twoServers,
];
