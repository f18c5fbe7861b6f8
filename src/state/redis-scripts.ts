// The Redis adapter's keyspace (the seed's, see docs/state.md) and its Lua scripts. Every script
// receives every key it touches in KEYS and builds no key names, so it also runs on DragonflyDB;
// time arrives as ARGV from the injected clock, never from the server.
import type { Redis } from "ioredis";
import type { Clock, Ids } from "../util/clock.js";
import { EPOCH } from "./redis-epoch.js";

/** Key names under a prefix. Id segments are URI-encoded, so an id containing ":" cannot alias. */
export function keyspace(prefix: string) {
  const s = encodeURIComponent;
  return {
    agent: (id: string, part: "packet" | "state" | "errors" | "heartbeat" | "notes") =>
      `${prefix}agent:${s(id)}:${part}`,
    activeAgent: (task: string) => `${prefix}task:${s(task)}:active_agent`,
    artifacts: (task: string) => `${prefix}task:${s(task)}:artifacts`,
    blackboard: (task: string, section: string) => `${prefix}blackboard:${s(task)}:${s(section)}`,
    /** One stream per recipient; "ALL" is the broadcast stream. */
    inbox: (task: string, agent: string) => `${prefix}msg:${s(task)}:${s(agent)}`,
    /** The task's message sequence: stream ids come from it, so ids order across streams. */
    messageSeq: (task: string) => `${prefix}msg:${s(task)}`,
    revocations: `${prefix}revocations:ledger`,
    handoff: (task: string) => `${prefix}handoff:${s(task)}:latest`,
    lock: (resource: string) => `${prefix}lock:${s(resource)}`,
    fence: (resource: string) => `${prefix}lock:${s(resource)}:fence`,
    /** resource → holder of every lock taken and not yet released, for releaseAll. */
    lockHolders: `${prefix}locks:holders`,
    checkpoint: (scope: string, key: string) => `${prefix}checkpoint:${s(scope)}:${s(key)}`,
    /** The keys of a scope's documents, scored by save time. */
    documents: (scope: string) => `${prefix}checkpoints:${s(scope)}`,
    idempotency: (agent: string, key: string) => `${prefix}idem:${s(agent)}:${s(key)}`,
    events: `${prefix}agov:events`,
    /** Written at first connect; gone after a restart that lost the data (redis-epoch.ts). */
    epoch: `${prefix}agov:epoch`,
  };
}
export type Keyspace = ReturnType<typeof keyspace>;

/**
 * A lock is a hash {holder, lease_id, fence, expires_at}; the fence counter never expires. KEYS[4]
 * is the epoch: another epoch than the caller's ({3}) means the data was lost since it looked, and
 * a quarantine ({2, safe_at}) refuses every lock until older leases are over. Fences start above
 * the epoch's fence base, so none repeats one handed out before a loss.
 */
const ACQUIRE = `
local ep = redis.call('HMGET', KEYS[4], 'id', 'fence_base', 'safe_at')
if ep[1] ~= ARGV[7] then return {3} end
if tonumber(ep[3]) > tonumber(ARGV[1]) then return {2, ep[3]} end
local cur = redis.call('HMGET', KEYS[1], 'holder', 'expires_at')
if cur[1] and tonumber(cur[2]) > tonumber(ARGV[1]) then return {0, cur[1], cur[2]} end
local fence = redis.call('INCR', KEYS[2])
local base = tonumber(ep[2])
if fence <= base then
  fence = base + 1
  redis.call('SET', KEYS[2], string.format('%d', fence))
end
redis.call('HSET', KEYS[1], 'holder', ARGV[3], 'lease_id', ARGV[4], 'fence', fence, 'expires_at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('HSET', KEYS[3], ARGV[5], ARGV[3])
return {1, fence}`;

const REFRESH = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'lease_id', 'fence', 'expires_at')
if cur[2] ~= ARGV[2] or tonumber(cur[4]) <= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {cur[1], cur[3]}`;

const RELEASE = `
local cur = redis.call('HMGET', KEYS[1], 'lease_id', 'expires_at')
if cur[1] ~= ARGV[2] or tonumber(cur[2]) <= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[3])
return 1`;

// KEYS: holders index, then one lock key per resource in ARGV[3..]. Answers {'retry'} when the
// index names a lock of the holder the caller did not pass (taken since it read the index).
const RELEASE_ALL = `
local want = {}
for i = 3, #ARGV do want[ARGV[i]] = true end
local idx = redis.call('HGETALL', KEYS[1])
for i = 1, #idx, 2 do
  if idx[i + 1] == ARGV[2] and not want[idx[i]] then return {'retry'} end
end
local out = {'ok'}
for i = 2, #KEYS do
  local r = ARGV[i + 1]
  local cur = redis.call('HMGET', KEYS[i], 'holder', 'expires_at')
  if cur[1] == ARGV[2] then
    if tonumber(cur[2]) > tonumber(ARGV[1]) then out[#out + 1] = r end
    redis.call('DEL', KEYS[i])
  end
  if redis.call('HGET', KEYS[1], r) == ARGV[2] then redis.call('HDEL', KEYS[1], r) end
end
return out`;

// Each blackboard value is JSON that starts with {"version":N, — written only by post().
const POST = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if cur then v = tonumber(string.match(cur, '^{"version":(%d+),')) or 0 end
if v ~= tonumber(ARGV[2]) then return {0, v} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {1, v + 1}`;

const SEND = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], string.format('%d-0', seq), 'from', ARGV[1], 'm', ARGV[2])
return seq`;

// Direct messages (KEYS[1]) merged with others' broadcasts (KEYS[2]) after ARGV[1], in sequence
// order, read in one script so a message sent meanwhile cannot be skipped by a resuming reader.
const READ = `
local limit = tonumber(ARGV[3])
local seq = function(id) return tonumber(string.match(id, '^(%d+)-')) end
local direct = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', limit)
local bc = {}
if KEYS[1] ~= KEYS[2] then
  local start = ARGV[1]
  while #bc < limit do
    local batch = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', limit)
    for _, e in ipairs(batch) do
      if e[2][2] ~= ARGV[2] and #bc < limit then bc[#bc + 1] = e end
    end
    if #batch < limit then break end
    start = string.format('%d-1', seq(batch[#batch][1]))
  end
end
local out, i, j = {}, 1, 1
while #out < 2 * limit and (direct[i] or bc[j]) do
  local e
  if bc[j] == nil or (direct[i] and seq(direct[i][1]) < seq(bc[j][1])) then
    e = direct[i]; i = i + 1
  else
    e = bc[j]; j = j + 1
  end
  out[#out + 1] = e[1]
  out[#out + 1] = e[2][4]
end
return out`;

const RECORD_ERROR = `
redis.call('HINCRBY', KEYS[1], 'total_errors', 1)
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'procedure_violations', 1) end
redis.call('HINCRBY', KEYS[1], 'type:' .. ARGV[1], 1)
return redis.call('HGETALL', KEYS[1])`;

/**
 * An idempotency key is a hash {record, expires_at}: claimed when absent or expired by the
 * clock (ARGV[1] now), otherwise the first call's record is returned.
 */
const IDEM_CLAIM = `
local cur = redis.call('HMGET', KEYS[1], 'record', 'expires_at')
if cur[1] and tonumber(cur[2]) > tonumber(ARGV[1]) then return cur[1] end
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false`;

/** Registered with defineCommand; numberOfKeys undefined means the caller passes it first. */
export const SCRIPTS = {
  agovAcquire: { numberOfKeys: 4, lua: ACQUIRE },
  agovEpoch: { numberOfKeys: 1, lua: EPOCH },
  agovRefresh: { numberOfKeys: 1, lua: REFRESH },
  agovRelease: { numberOfKeys: 2, lua: RELEASE },
  agovReleaseAll: { lua: RELEASE_ALL },
  agovPost: { numberOfKeys: 1, lua: POST },
  agovSend: { numberOfKeys: 2, lua: SEND },
  agovRead: { numberOfKeys: 2, lua: READ },
  agovRecordError: { numberOfKeys: 1, lua: RECORD_ERROR },
  agovIdemClaim: { numberOfKeys: 1, lua: IDEM_CLAIM },
} as const;

/** What each part of the adapter is built from. */
export interface RedisDeps {
  r: Redis & ScriptCommands;
  k: Keyspace;
  clock: Clock;
  ids: Ids;
  /** The Redis expiry (garbage collection only) for something that lives ttlMs by the clock. */
  gc(ttlMs: number): number;
}

type Arg = string | number;
/** The commands defineCommand adds to a client, as TypeScript sees them. */
export interface ScriptCommands {
  agovAcquire(...a: Arg[]): Promise<[0, string, string] | [1, number] | [2, string] | [3]>;
  agovEpoch(...a: Arg[]): Promise<[0 | 1 | 2, string, string]>;
  agovRefresh(...a: Arg[]): Promise<[string, string] | null>;
  agovRelease(...a: Arg[]): Promise<0 | 1>;
  agovReleaseAll(numberOfKeys: number, ...a: Arg[]): Promise<string[]>;
  agovPost(...a: Arg[]): Promise<[0 | 1, number]>;
  agovSend(...a: Arg[]): Promise<number>;
  agovRead(...a: Arg[]): Promise<string[]>;
  agovRecordError(...a: Arg[]): Promise<string[]>;
  agovIdemClaim(...a: Arg[]): Promise<string | null>;
}
