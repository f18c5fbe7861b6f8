// Lock acquire+release on the Redis StateStore (two Lua scripts: fence, lease, holder index)
// against the bare minimum on the same Redis: `SET key val NX PX ttl` then `DEL`, over ioredis;
// warm and interleaved like the main bench. `tsx bench/locks-redis.ts [--quick]` starts its own
// redis-server (or uses REDIS_URL) and prints the ratio at concurrency 1, 16 and 64.
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { createRedisState } from "../src/state/redis.js";
import { randomIds, systemClock } from "../src/util/clock.js";
import { startRedis } from "../test/support/redis-server.js";
import { interleave, spread } from "./harness.js";

const TTL_MS = 30_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const own = process.env.REDIS_URL ? undefined : await startRedis();
  const url = process.env.REDIS_URL ?? own!.url;
  const prefix = `bench-${process.pid}-${Date.now()}:`;
  const raw = new Redis(url);
  const state = await createRedisState({
    url,
    clock: systemClock,
    ids: randomIds,
    keyPrefix: prefix,
  });
  try {
    const lines = [
      "| Redis lock acquire + release | conc. | raw ops/s | StateStore ops/s | ratio min / median / max |",
      "|---|---:|---:|---:|---:|",
    ];
    for (const concurrency of [1, 16, 64]) {
      const rounds = await interleave(
        async (w) => {
          const key = `${prefix}raw-${w}`;
          if ((await raw.set(key, "holder", "PX", TTL_MS, "NX")) !== "OK")
            throw new Error("raw lock was not free");
          await raw.del(key);
        },
        async (w) => {
          const lease = await state.locks.acquire(`lock-${w}`, "holder", TTL_MS);
          if (!lease.acquired) throw new Error("lock was not free");
          await state.locks.release(`lock-${w}`, lease.lease_id);
        },
        {
          concurrency,
          rounds: values.quick ? 3 : 7,
          chunks: 1,
          chunkMs: values.quick ? 100 : 400,
          warmMs: values.quick ? 100 : 300,
        },
      );
      const r = spread(rounds.ratios);
      const n = (xs: number[]) => Math.round(spread(xs).median).toLocaleString("en");
      lines.push(
        `| StateStore vs raw SET NX PX + DEL | ${concurrency} | ${n(rounds.bare)} | ${n(rounds.governed)} | ${r.min.toFixed(2)} / **${r.median.toFixed(2)}** / ${r.max.toFixed(2)} |`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await state.close();
    raw.disconnect();
    await own?.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
