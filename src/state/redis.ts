// The StateStore on Redis or DragonflyDB, shared by every agov instance pointed at it: each
// multi-step change is one Lua script (redis-scripts.ts), events travel over pub/sub on a second
// connection, and every failure to reach Redis surfaces as UNAVAILABLE without hanging.
import type { Clock, Ids } from "../util/clock.js";
import { dict } from "../util/dict.js";
import type {
  AgovEvent,
  ErrorCounters,
  IdempotencyRecord,
  RevocationRecord,
  StateStore,
} from "./index.js";
import { type Documents, domainRecords } from "./records.js";
import { redisBlackboard, redisMessages } from "./redis-board.js";
import { describeUrl, openConnection } from "./redis-connection.js";
import { createEpoch, type StateLog } from "./redis-epoch.js";
import { redisLocks } from "./redis-locks.js";
import { keyspace, type RedisDeps, SCRIPTS, type ScriptCommands } from "./redis-scripts.js";

/**
 * Keys with a TTL (locks, heartbeats) also get a Redis expiry this much later than the clock's,
 * purely as garbage collection: liveness is always decided by comparing the stored expires_at
 * with the injected clock, so the expiry must never remove something the clock still calls live.
 */
const GC_GRACE_MS = 60_000;
const json = (v: unknown) => JSON.stringify(v ?? null);
/** StateStore methods that only read. */
const READS: ReadonlySet<string> = new Set([
  "status",
  "read",
  "lastHeartbeat",
  "getState",
  "getPacket",
  "notes",
  "get",
  "getActiveAgent",
  "artifacts",
  "getHandoff",
  "recent",
  "load",
  "entries",
]);
const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

export async function createRedisState(opts: {
  url: string;
  clock: Clock;
  ids: Ids;
  keyPrefix?: string;
  commandTimeoutMs?: number;
  /** Where data loss (a Redis restarted without persistence) is reported. */
  log?: StateLog;
  /** How long locks are refused after a data loss (default: the longest lock TTL). */
  lockQuarantineMs?: number;
}): Promise<StateStore> {
  const { clock, ids } = opts;
  const k = keyspace(opts.keyPrefix ?? "");
  const main = await openConnection(opts, "agov");
  let events: Awaited<ReturnType<typeof openConnection>>;
  try {
    events = await openConnection(opts, "agov-events");
  } catch (err) {
    await main.close();
    throw err;
  }
  for (const [name, def] of Object.entries(SCRIPTS)) main.redis.defineCommand(name, def);
  const r = main.redis as typeof main.redis & ScriptCommands;
  const gc = (ttlMs: number) => ttlMs + GC_GRACE_MS;
  const deps: RedisDeps = { r, k, clock, ids, gc };
  const epoch = createEpoch(deps, {
    where: describeUrl(opts.url),
    log: opts.log,
    ...(opts.lockQuarantineMs !== undefined ? { quarantineMs: opts.lockQuarantineMs } : {}),
  });
  try {
    await epoch.check();
  } catch (err) {
    await Promise.all([main.close(), events.close()]);
    throw main.fail(err, true);
  }
  // Every reconnect looks for the epoch at once, so a loss is logged even before a lock is asked for.
  main.redis.on("ready", () => {
    epoch.check().catch(() => {
      // The next lock_acquire looks again (its script refuses another epoch).
    });
  });

  // Every method goes through `guard`, so a caller only ever sees AgovErrors. Reads are named:
  // one that gets no answer changed nothing, while an unanswered change may yet be applied.
  type Fns = Record<string, (...a: never[]) => Promise<unknown>>;
  const guard = <T extends Fns>(ns: T): T => {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(ns))
      out[name] = (...a: never[]) =>
        fn(...a).catch((err: unknown) => {
          throw main.fail(err, READS.has(name));
        });
    return out as T;
  };

  const handlers = new Set<(e: AgovEvent) => void>();
  events.redis.on("message", (channel: string, raw: string) => {
    if (channel !== k.events) return;
    let event: AgovEvent;
    try {
      event = JSON.parse(raw) as AgovEvent;
    } catch {
      return; // not ours: someone else published on the channel
    }
    for (const h of handlers) {
      try {
        h(event);
      } catch {
        // One subscriber's failure must not keep the event from the others.
      }
    }
  });
  try {
    await events.redis.subscribe(k.events);
  } catch (err) {
    await Promise.all([main.close(), events.close()]);
    throw main.fail(err);
  }

  // Domain records are documents: one string key each, and a sorted set per scope (by save
  // time) so a scope lists without a keyspace scan.
  const docs: Documents = guard({
    save: async (scope: string, key: string, data: unknown) => {
      const saved_at = clock.now();
      await r
        .multi()
        .set(k.checkpoint(scope, key), json({ data, saved_at }))
        .zadd(k.documents(scope), saved_at, key)
        .exec();
      return { saved_at };
    },
    load: async (scope: string, key: string) =>
      parse<{ data: unknown; saved_at: number }>(await r.get(k.checkpoint(scope, key))),
    entries: async (scope: string, limit: number) => {
      const keys = await r.zrevrange(k.documents(scope), 0, limit - 1);
      if (keys.length === 0) return [];
      const raw = await r.mget(keys.map((key) => k.checkpoint(scope, key)));
      return keys.flatMap((key, i) => {
        const doc = parse<{ data: unknown; saved_at: number }>(raw[i] ?? null);
        return doc ? [{ key, ...doc }] : [];
      });
    },
  });

  return {
    kind: "redis",
    locks: guard(redisLocks(deps, epoch)),
    blackboard: guard(redisBlackboard(deps)),
    messages: guard(redisMessages(deps)),
    agents: guard({
      heartbeat: async (agentId: string, ttlMs: number) => {
        const at = clock.now();
        const hb = json({ at, expires_at: at + ttlMs });
        await r.set(k.agent(agentId, "heartbeat"), hb, "PX", gc(ttlMs));
      },
      lastHeartbeat: async (agentId: string) => {
        const hb = parse<{ at: number; expires_at: number }>(
          await r.get(k.agent(agentId, "heartbeat")),
        );
        return hb && hb.expires_at > clock.now() ? hb.at : null;
      },
      getState: async (agentId: string) =>
        parse<Record<string, unknown>>(await r.get(k.agent(agentId, "state"))),
      setState: async (agentId: string, state: Record<string, unknown>) => {
        await r.set(k.agent(agentId, "state"), json(state));
      },
      putPacket: async (agentId: string, packet: Record<string, unknown>) => {
        await r.set(k.agent(agentId, "packet"), json(packet));
      },
      getPacket: async (agentId: string) =>
        parse<Record<string, unknown>>(await r.get(k.agent(agentId, "packet"))),
      // One key in a MULTI: atomic on Redis and Dragonfly alike.
      note: async (agentId: string, text: string, keep: number) => {
        const key = k.agent(agentId, "notes");
        await r.multi().rpush(key, text).ltrim(key, -keep, -1).exec();
      },
      notes: async (agentId: string) => r.lrange(k.agent(agentId, "notes"), 0, -1),
      clearNotes: async (agentId: string) => {
        await r.del(k.agent(agentId, "notes"));
      },
    }),

    errors: guard({
      record: async (agentId: string, errorType: string, procedureViolation = false) => {
        const flat = await r.agovRecordError(
          k.agent(agentId, "errors"),
          errorType,
          procedureViolation ? "1" : "0",
        );
        const hash = dict<string>();
        for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
        return counters(hash);
      },
      get: async (agentId: string) => counters(await r.hgetall(k.agent(agentId, "errors"))),
      reset: async (agentId: string) => {
        await r.del(k.agent(agentId, "errors"));
      },
    }),

    tasks: guard({
      setActiveAgent: async (taskId: string, agentId: string) => {
        await r.set(k.activeAgent(taskId), agentId);
      },
      getActiveAgent: async (taskId: string) => r.get(k.activeAgent(taskId)),
      addArtifact: async (taskId: string, artifact: string) => {
        await r.rpush(k.artifacts(taskId), artifact);
      },
      artifacts: async (taskId: string) => r.lrange(k.artifacts(taskId), 0, -1),
      putHandoff: async (taskId: string, handoff: Record<string, unknown>) => {
        await r.set(k.handoff(taskId), json(handoff));
      },
      getHandoff: async (taskId: string) =>
        parse<Record<string, unknown>>(await r.get(k.handoff(taskId))),
    }),

    revocations: guard({
      append: async (rec: RevocationRecord) => {
        await r.lpush(k.revocations, json(rec));
      },
      recent: async (limit = 50) =>
        limit <= 0
          ? []
          : (await r.lrange(k.revocations, 0, limit - 1)).map(
              (s) => JSON.parse(s) as RevocationRecord,
            ),
    }),

    idempotency: guard({
      claim: async (agentId: string, key: string, record: IdempotencyRecord, ttlMs: number) => {
        const now = clock.now();
        const first = await r.agovIdemClaim(
          k.idempotency(agentId, key),
          now,
          json(record),
          now + ttlMs,
          gc(ttlMs),
        );
        return first === null
          ? { first: true as const }
          : { first: false as const, record: JSON.parse(first) as IdempotencyRecord };
      },
      settle: async (agentId: string, key: string, record: IdempotencyRecord, ttlMs: number) => {
        const at = k.idempotency(agentId, key);
        const expires = clock.now() + ttlMs;
        await r
          .multi()
          .hset(at, "record", json(record), "expires_at", expires)
          .pexpire(at, gc(ttlMs))
          .exec();
      },
    }),

    ...domainRecords(docs),

    events: {
      publish: async (event) => {
        try {
          await r.publish(k.events, json(event));
        } catch (err) {
          throw main.fail(err);
        }
      },
      subscribe: (handler) => {
        handlers.add(handler);
        return () => {
          handlers.delete(handler);
        };
      },
    },

    close: async () => {
      handlers.clear();
      await Promise.all([main.close(), events.close()]);
    },
  };
}

/** by_type is a prototype-free map: error types come from callers and may be "__proto__". */
function counters(hash: Record<string, string>): ErrorCounters {
  const by_type = dict<number>();
  for (const [field, n] of Object.entries(hash))
    if (field.startsWith("type:")) by_type[field.slice(5)] = Number(n);
  return {
    total_errors: Number(hash.total_errors ?? 0),
    procedure_violations: Number(hash.procedure_violations ?? 0),
    by_type,
  };
}
