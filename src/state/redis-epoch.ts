// The epoch of a Redis keyspace: a key written at first connect that must still be there on every
// reconnect. A Redis restarted without persistence comes back empty, fencing counters included;
// the missing epoch is how agov notices, quarantines locks for the longest lease, and starts new
// fences above every fence handed out before (a fence base from the clock's milliseconds).
import { AgovError } from "../util/errors.js";
import type { RedisDeps } from "./redis-scripts.js";

/** The longest lease lock_acquire grants; after a data loss every older lease is over by then. */
export const MAX_LOCK_TTL_MS = 600_000;

/** Logs what only an operator can act on; the part of a pino logger used here. */
export interface StateLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface Epoch {
  /** The epoch id this process knows (passed to the lock script, which refuses another one). */
  id(): string;
  /** Reads (or writes) the epoch; on a reconnect, a missing or new one means the data was lost. */
  check(): Promise<void>;
  /** The refusal while locks are quarantined. */
  quarantined(safeAt: number): AgovError;
}

export function createEpoch(
  { r, k, clock, ids }: RedisDeps,
  opts: { where: string; quarantineMs?: number; log?: StateLog | undefined },
): Epoch {
  const quarantine = opts.quarantineMs ?? MAX_LOCK_TTL_MS;
  let known = "";
  return {
    id: () => known,
    async check() {
      const now = clock.now();
      const [outcome, id, safe] = await r.agovEpoch(
        k.epoch,
        now,
        ids.next(),
        known,
        now + quarantine,
      );
      const first = known === "";
      known = id;
      const safeAt = Number(safe);
      if (outcome === 2)
        opts.log?.info(
          { store: "redis", target: opts.where, epoch: id },
          `state store (redis at ${opts.where}) has no epoch yet: a new keyspace (or one emptied before this server started); epoch ${id} written`,
        );
      else if (outcome === 1 && !first)
        opts.log?.warn(
          { store: "redis", target: opts.where, epoch: id, locks_refused_until: iso(safeAt) },
          `state store (redis at ${opts.where}) lost its data (its epoch key is gone: restarted without persistence?); lock acquisition is refused until ${iso(safeAt)} (the longest lock TTL), and new fences start above every fence handed out before`,
        );
    },
    quarantined(safeAt) {
      const now = clock.now();
      return new AgovError(
        "UNAVAILABLE",
        `locks are refused until ${iso(safeAt)} (in ${Math.ceil((safeAt - now) / 1000)} s): the state store (redis at ${opts.where}) lost its data, so a lease handed out before may still be held; by then every such lease has expired. Retry after that time`,
        { reason: "LOCKS_HELD_AFTER_DATA_LOSS", retry_at: safeAt, outcome: "not applied" },
      );
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * KEYS[1] the epoch hash {id, fence_base, safe_at, created_at}. ARGV: now, a new id, the id the
 * caller knows ('' at first connect), safe_at should the data have been lost. Answers
 * {0, id, safe_at} unchanged (or adopted at first connect), {1, id, safe_at} data lost, or
 * {2, id, safe_at} written for the first time.
 */
export const EPOCH = `
local cur = redis.call('HMGET', KEYS[1], 'id', 'safe_at')
if cur[1] then
  if ARGV[3] == '' or cur[1] == ARGV[3] then return {0, cur[1], cur[2] or '0'} end
  local safe = math.max(tonumber(cur[2] or '0'), tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'safe_at', string.format('%d', safe))
  return {1, cur[1], string.format('%d', safe)}
end
if ARGV[3] == '' then
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'fence_base', '0', 'safe_at', '0', 'created_at', ARGV[1])
  return {2, ARGV[2], '0'}
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'fence_base', ARGV[1], 'safe_at', ARGV[4], 'created_at', ARGV[1])
return {1, ARGV[2], ARGV[4]}`;
