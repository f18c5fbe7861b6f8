// The write load of a scenario: workers that take a contended lock, post an entry under it and
// release it, over and over, each call with its own idempotency key, recording what they were told.
import { AgentRevoked } from "../client.js";
import { type Session, settle } from "./calls.js";
import type { Evidence, Lease } from "./history.js";
import { pause, type Rng } from "./rng.js";

export const TASK = "chaos";
/** Short enough that a lease lost in a crash frees the lock quickly. */
const TTL_MS = 2000;

export interface Load {
  stop(): Promise<void>;
}

export interface LoadOptions {
  sessions: Session[];
  resources: string[];
  rng: Rng;
  ev: Evidence;
  /** How long one call may take to settle through a fault before it is left unknown. */
  giveUpMs: number;
}

export function startLoad(o: LoadOptions): Load {
  let running = true;
  const loops = o.sessions.map((s, i) => worker(s, o.rng.fork(`w${i}`)));
  async function worker(s: Session, rng: Rng): Promise<void> {
    for (let n = 1; running; n++) {
      const resource = rng.pick(o.resources);
      const id = `${s.agent}-${n}`;
      const take = await settle(
        s,
        "lock_acquire",
        { resource, ttl_ms: TTL_MS },
        `${id}-a`,
        o.giveUpMs,
      );
      o.ev.ops.push(take);
      if (take.code === "REVOKED") return;
      if (take.outcome !== "ok" || !take.data) {
        await pause(rng.int(5, 40));
        continue;
      }
      const lease: Lease = {
        resource,
        holder: s.agent,
        lease_id: String(take.data.lease_id),
        fence: Number(take.data.fence),
        grantedAfter: take.sentAt,
        grantedBy: take.doneAt,
        heldUntil: Date.parse(String(take.data.expires_at)),
      };
      o.ev.leases.push(lease);
      const value = { fence: lease.fence, n };
      const post = { task_id: TASK, section: "solutions", key: id, value, expected_version: 0 };
      o.ev.ops.push(await settle(s, "blackboard_post", post, `${id}-p`, o.giveUpMs));
      // Held at least until the release is sent; after that it may be gone at any moment.
      lease.heldUntil = Math.min(lease.heldUntil, Date.now());
      const args = { resource, lease_id: lease.lease_id };
      o.ev.ops.push(await settle(s, "lock_release", args, `${id}-r`, o.giveUpMs));
      // A steady load, not a flood: it must leave the agents of a scenario room to work.
      await pause(rng.int(20, 60));
    }
  }
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** A revoked agent calling a read-only tool until stopped: every answer it gets is a violation. */
export function startProbe(s: Session, ev: Evidence): Load {
  let running = true;
  const tally = { agent: s.agent, served: 0, refused: 0 };
  ev.revokedProbes.push(tally);
  const loop = (async () => {
    while (running) {
      try {
        const r = await (await s.client()).call("lock_status", { resource: "probe" });
        if (r.ok) tally.served++;
        else if (r.code === "DENIED") tally.refused++;
      } catch (err) {
        // REVOKED, or the bearer token refused (401) on a new or old session: refused either way.
        if (err instanceof AgentRevoked || /401|nauthori|invalid.token/i.test(String(err)))
          tally.refused++;
        s.reset();
      }
      await pause(150);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
