// Lock acquire+release on the Redis StateStore (two Lua scripts: fence, lease, holder index)
// against the bare minimum on the same Redis: `SET key val NX PX ttl` then `DEL`, over ioredis.
// `benchRedisLocks({ url, iterations })` returns one Comparison row (ratio = governed ÷ bare
// calls/s) for bench/index.ts. Standalone: `tsx bench/locks-redis.ts` starts its own redis-server
// (or uses REDIS_URL) and prints the table; BENCH_ITERATIONS sets the rounds.
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { createRedisState } from "../src/state/redis.js";
import { randomIds, systemClock } from "../src/util/clock.js";
import { startRedis } from "../test/support/redis-server.js";
import { type Comparison, compare, measure, table } from "./harness.js";

const TTL_MS = 30_000;

export async function benchRedisLocks(opts: {
  url: string;
  iterations: number;
}): Promise<Comparison> {
  const prefix = `bench-${process.pid}-${Date.now()}:`;
  const raw = new Redis(opts.url);
  const state = await createRedisState({
    url: opts.url,
    clock: systemClock,
    ids: randomIds,
    keyPrefix: prefix,
  });
  try {
    const key = `${prefix}raw-lock`;
    const baseline = await measure(
      async () => {
        if ((await raw.set(key, "holder", "PX", TTL_MS, "NX")) !== "OK")
          throw new Error("raw lock was not free");
        await raw.del(key);
      },
      { iterations: opts.iterations },
    );
    const governed = await measure(
      async () => {
        const lease = await state.locks.acquire("bench", "holder", TTL_MS);
        if (!lease.acquired) throw new Error("lock was not free");
        await state.locks.release("bench", lease.lease_id);
      },
      { iterations: opts.iterations },
    );
    return compare("redis lock acquire+release", baseline, governed);
  } finally {
    await state.close();
    raw.disconnect();
  }
}

async function main(): Promise<void> {
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000);
  const own = process.env.REDIS_URL ? undefined : await startRedis();
  try {
    const url = process.env.REDIS_URL ?? own!.url;
    console.log(table([await benchRedisLocks({ url, iterations })]));
  } finally {
    await own?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
