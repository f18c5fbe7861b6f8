// Tells a session when a lock its agent took through it has expired (the lease ran out before a
// refresh or a release): a warning log message at the moment of expiry, counted on the runtime's
// clock. A lease refreshed elsewhere is followed to its new expiry; a released one is forgotten.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { StateStore } from "../state/index.js";
import { type Clock, wait } from "../util/clock.js";
import type { GovernanceLog } from "./session-log.js";

export function watchLocks(opts: {
  clock: Clock;
  state: StateStore;
  agent: string;
  notify(log: GovernanceLog): void;
}): { onResult(tool: string, result: CallToolResult): void; close(): void } {
  const { clock, state, agent } = opts;
  const watching = new Map<string, AbortController>();

  const cancel = (resource: string) => {
    watching.get(resource)?.abort();
    watching.delete(resource);
  };

  function schedule(resource: string, leaseId: string, expiresAt: number): void {
    cancel(resource);
    const stop = new AbortController();
    watching.set(resource, stop);
    void wait(clock, Math.max(0, expiresAt - clock.now()), stop.signal).then(async () => {
      if (stop.signal.aborted) return;
      watching.delete(resource);
      const now = await state.locks.status(resource).catch(() => undefined);
      if (now === undefined) return; // the store cannot say: no claim either way
      if (now?.lease_id === leaseId) return schedule(resource, leaseId, now.expires_at);
      opts.notify({
        level: "warning",
        logger: "agov",
        data: {
          event: "lock_expired",
          resource,
          lease_id: leaseId,
          message: `the lock "${resource}" held by ${agent} expired at ${new Date(expiresAt).toISOString()} without a refresh; take it again with lock_acquire before touching what it guards`,
        },
      });
    });
  }

  return {
    onResult(tool, result) {
      if (result.isError) return;
      const r = result.structuredContent as
        | { resource?: unknown; lease_id?: unknown; expires_at?: unknown }
        | undefined;
      if (typeof r?.resource !== "string") return;
      if (tool === "lock_release") return cancel(r.resource);
      if (tool !== "lock_acquire" && tool !== "lock_refresh") return;
      const at = typeof r.expires_at === "string" ? Date.parse(r.expires_at) : Number.NaN;
      if (typeof r.lease_id === "string" && !Number.isNaN(at)) schedule(r.resource, r.lease_id, at);
    },
    close() {
      for (const stop of watching.values()) stop.abort();
      watching.clear();
    },
  };
}
