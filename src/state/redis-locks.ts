// Fenced locks on Redis: a lock is a hash with its lease and expiry, next to a fencing counter
// that never expires; acquire, refresh and release are each one script, judged by the caller's clock.
import { AgovError } from "../util/errors.js";
import type { AcquireResult, LockLease } from "./index.js";
import type { Epoch } from "./redis-epoch.js";
import type { RedisDeps } from "./redis-scripts.js";

export function redisLocks({ r, k, clock, ids, gc }: RedisDeps, epoch: Epoch) {
  const notCurrent = (resource: string, leaseId: string) =>
    new AgovError(
      "CONFLICT",
      `lease ${leaseId} on "${resource}" is not the current holder's (expired, released or taken)`,
    );
  return {
    acquire: async (
      resource: string,
      holder: string,
      ttlMs: number,
      lease_id: string = ids.next(),
    ): Promise<AcquireResult> => {
      const now = clock.now();
      const expires_at = now + ttlMs;
      const run = () =>
        r.agovAcquire(
          k.lock(resource),
          k.fence(resource),
          k.lockHolders,
          k.epoch,
          now,
          expires_at,
          holder,
          lease_id,
          resource,
          gc(ttlMs),
          epoch.id(),
        );
      let res = await run();
      // The epoch moved under us (data lost, or another instance saw that first): look, then ask
      // again, which the quarantine now answers.
      if (res[0] === 3) {
        await epoch.check();
        res = await run();
      }
      if (res[0] === 2) throw epoch.quarantined(Number(res[1]));
      if (res[0] === 3)
        throw new AgovError("UNAVAILABLE", `the state store's epoch keeps changing; retry`);
      if (res[0] === 0)
        return { acquired: false as const, resource, holder: res[1], expires_at: Number(res[2]) };
      const fence = Number(res[1]);
      return { acquired: true as const, resource, holder, lease_id, fence, expires_at };
    },
    refresh: async (resource: string, leaseId: string, ttlMs: number): Promise<LockLease> => {
      const now = clock.now();
      const expires_at = now + ttlMs;
      const res = await r.agovRefresh(k.lock(resource), now, leaseId, expires_at, gc(ttlMs));
      if (!res) throw notCurrent(resource, leaseId);
      return { resource, holder: res[0], lease_id: leaseId, fence: Number(res[1]), expires_at };
    },
    release: async (resource: string, leaseId: string) => {
      const done = await r.agovRelease(
        k.lock(resource),
        k.lockHolders,
        clock.now(),
        leaseId,
        resource,
      );
      if (done !== 1) throw notCurrent(resource, leaseId);
    },
    status: async (resource: string): Promise<LockLease | null> => {
      const [holder, lease_id, fence, expires] = await r.hmget(
        k.lock(resource),
        "holder",
        "lease_id",
        "fence",
        "expires_at",
      );
      if (!holder || !lease_id || Number(expires) <= clock.now()) return null;
      return { resource, holder, lease_id, fence: Number(fence), expires_at: Number(expires) };
    },
    releaseAll: async (holder: string): Promise<string[]> => {
      // The script refuses ("retry") if the holder took another lock after we read the index.
      for (let attempt = 0; attempt < 20; attempt++) {
        const index = await r.hgetall(k.lockHolders);
        const mine = Object.keys(index).filter((res) => index[res] === holder);
        const out = await r.agovReleaseAll(
          1 + mine.length,
          k.lockHolders,
          ...mine.map(k.lock),
          clock.now(),
          holder,
          ...mine,
        );
        if (out[0] === "ok") return out.slice(1);
      }
      throw new AgovError("CONFLICT", `locks of ${holder} kept changing; retry releasing them`);
    },
  };
}
