// Coordination between agents: fenced locks, the versioned blackboard and messages. Holders and
// authors are always the resolved caller, so no agent can act in another's name.

import { createHash } from "node:crypto";
import type { Caller } from "../authority/index.js";
import type {
  BlackboardEntry,
  BlackboardSection,
  LockLease,
  Message,
  MessageType,
  StateStore,
} from "../state/index.js";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { canonicalJson } from "../util/json.js";
import { createSessionCheckpoints, type SessionCheckpoints } from "./checkpoints.js";
import type { Consensus } from "./consensus.js";
import { type SpawnThresholds, spawnConditions } from "./spawn.js";

export interface Coordination {
  locks: {
    /** With an idempotency key the lease id is derived from it, so a retry knows its own lease. */
    acquire(
      caller: Caller,
      input: { resource: string; ttl_ms: number },
      key?: string,
    ): Promise<LockLease>;
    refresh(
      caller: Caller,
      input: { resource: string; lease_id: string; ttl_ms: number },
    ): Promise<LockLease>;
    release(
      caller: Caller,
      input: { resource: string; lease_id: string },
      key?: string,
    ): Promise<{ released: boolean; resource: string; already?: boolean }>;
    status(input: {
      resource: string;
    }): Promise<
      | { resource: string; held: false }
      | { resource: string; held: true; holder: string; fence: number; expires_at: number }
    >;
  };
  blackboard: {
    post(
      caller: Caller,
      input: {
        task_id: string;
        section: BlackboardSection;
        key: string;
        value: unknown;
        expected_version: number;
      },
      key?: string,
    ): Promise<BlackboardEntry>;
    read(input: {
      task_id: string;
      section?: BlackboardSection | undefined;
    }): Promise<{ task_id: string; entries: BlackboardEntry[] }>;
  };
  messages: {
    send(
      caller: Caller,
      input: { task_id: string; to: string; type: MessageType; body: unknown },
    ): Promise<Message>;
    read(
      caller: Caller,
      input: { task_id: string; after_id?: string | undefined; limit?: number | undefined },
    ): Promise<{ messages: Message[]; last_id: string | null }>;
  };
  /** The caller is alive: agents silent for the STUCK threshold (30 s) are counted as stuck. */
  heartbeat(caller: Caller): Promise<{ agent_id: string; at: string }>;
  /** Each agent's own session state. */
  checkpoints: SessionCheckpoints;
  /** Whether a task needs its mediator (the seed's STUCK/CONFLICT/COMPLEXITY/SUCCESS). */
  spawnConditions(
    taskId: string,
    overrides?: Partial<SpawnThresholds>,
  ): ReturnType<typeof spawnConditions>;
}

/** The blackboard's sections and the message types, as tools validate them. */
export { BLACKBOARD_SECTIONS, MESSAGE_TYPES } from "../state/index.js";

/** How long one heartbeat keeps an agent live (every phase transition is one, too). */
export const HEARTBEAT_TTL_MS = 60_000;

/** Lock names agov keeps for itself (agents' execution locks, pipeline runners). */
const RESERVED_LOCK = /^(agent|pipeline):/;

/** Blackboard entries only agov writes: votes, results and proposals. */
export function reservedEntry(section: string, key: string): string | null {
  if (section === "consensus" && (/^(votes|result):/.test(key) || key === "final"))
    return "votes and results are written by vote_cast";
  if (section === "solutions" && key.startsWith("proposal:"))
    return "proposals are written by proposal_create";
  return null;
}

function assertLockName(resource: string): void {
  if (RESERVED_LOCK.test(resource))
    throw new AgovError(
      "DENIED",
      `resource: "${resource}" is reserved for agov's own locks (names starting with agent: or pipeline:); choose another name`,
    );
}

export function createCoordination(deps: {
  state: StateStore;
  clock: Clock;
  consensus: Consensus;
}): Coordination {
  const { state } = deps;
  return {
    async heartbeat(caller) {
      await state.agents.heartbeat(caller.agent_id, HEARTBEAT_TTL_MS);
      return { agent_id: caller.agent_id, at: new Date(deps.clock.now()).toISOString() };
    },
    checkpoints: createSessionCheckpoints(state),
    spawnConditions: (taskId, overrides) => spawnConditions(deps, taskId, overrides),
    locks: {
      async acquire(caller, { resource, ttl_ms }, key) {
        assertLockName(resource);
        const leaseId = key ? keyedLease(caller.agent_id, key, resource) : undefined;
        const res = await state.locks.acquire(resource, caller.agent_id, ttl_ms, leaseId);
        if (!res.acquired && leaseId) {
          // A retry whose first call took the lock (its answer was lost): that lease, not a refusal.
          const mine = await state.locks.status(resource);
          if (mine?.lease_id === leaseId && mine.holder === caller.agent_id) return mine;
        }
        if (!res.acquired) {
          throw new AgovError(
            "CONFLICT",
            `lock "${resource}" is held by ${res.holder} until ${new Date(res.expires_at).toISOString()}; retry after it expires or is released`,
            { holder: res.holder, expires_at: res.expires_at },
          );
        }
        const { acquired: _, ...lease } = res;
        return lease;
      },
      async refresh(caller, { resource, lease_id, ttl_ms }) {
        assertLockName(resource);
        await assertHolder(state, caller, resource, lease_id);
        return state.locks.refresh(resource, lease_id, ttl_ms);
      },
      async release(caller, { resource, lease_id }, key) {
        assertLockName(resource);
        await assertHolder(state, caller, resource, lease_id);
        try {
          await state.locks.release(resource, lease_id);
        } catch (err) {
          // A retry whose first call released the lease: the lease is gone either way.
          const gone = key && err instanceof AgovError && err.code === "CONFLICT";
          if (!gone || (await state.locks.status(resource))?.lease_id === lease_id) throw err;
          return { released: true, resource, already: true };
        }
        return { released: true, resource };
      },
      async status({ resource }) {
        const lease = await state.locks.status(resource);
        if (!lease) return { resource, held: false };
        return {
          resource,
          held: true,
          holder: lease.holder,
          fence: lease.fence,
          expires_at: lease.expires_at,
        };
      },
    },
    blackboard: {
      async post(caller, input, key) {
        const reserved = reservedEntry(input.section, input.key);
        if (reserved)
          throw new AgovError(
            "DENIED",
            `${input.section}/${input.key} is written by agov itself (${reserved}); post under another key`,
          );
        let entry: BlackboardEntry;
        try {
          entry = await state.blackboard.post({ ...input, author: caller.agent_id });
        } catch (err) {
          const own = key && err instanceof AgovError && err.code === "CONFLICT";
          const first = own ? await ownEarlierPost(state, caller, input) : undefined;
          if (!first) throw err;
          return first;
        }
        // The state store announces the change (src/state/changes.ts).
        return entry;
      },
      async read({ task_id, section }) {
        return { task_id, entries: await state.blackboard.read(task_id, section) };
      },
    },
    messages: {
      async send(caller, input) {
        if (input.to === caller.agent_id) {
          throw new AgovError(
            "INVALID_INPUT",
            "to: an agent cannot message itself; name another agent or ALL",
          );
        }
        return state.messages.send({ ...input, from: caller.agent_id });
      },
      async read(caller, { task_id, after_id, limit }) {
        const messages = await state.messages.read(task_id, caller.agent_id, after_id, limit);
        return { messages, last_id: messages.at(-1)?.id ?? after_id ?? null };
      },
    },
  };
}

async function assertHolder(
  state: StateStore,
  caller: Caller,
  resource: string,
  leaseId: string,
): Promise<void> {
  const lease = await state.locks.status(resource);
  if (lease && lease.lease_id === leaseId && lease.holder !== caller.agent_id) {
    throw new AgovError(
      "DENIED",
      `lock "${resource}" is held by ${lease.holder}, not ${caller.agent_id}`,
    );
  }
}

/** The lease id of a lock taken with an idempotency key: the same on every retry of that call. */
function keyedLease(agentId: string, key: string, resource: string): string {
  const h = createHash("sha256").update(`${agentId}\n${key}\n${resource}`).digest("hex");
  return `k-${h.slice(0, 32)}`;
}

/**
 * The entry a retried post (same key, same arguments) already wrote, if the version check refused
 * it because of that very write: the caller's own value at the version it would have made.
 */
async function ownEarlierPost(
  state: StateStore,
  caller: Caller,
  input: {
    task_id: string;
    section: BlackboardSection;
    key: string;
    value: unknown;
    expected_version: number;
  },
): Promise<BlackboardEntry | undefined> {
  const cur = (await state.blackboard.read(input.task_id, input.section)).find(
    (e) => e.key === input.key,
  );
  const same =
    cur &&
    cur.author === caller.agent_id &&
    cur.version === input.expected_version + 1 &&
    canonicalJson(cur.value) === canonicalJson(input.value);
  return same ? cur : undefined;
}
