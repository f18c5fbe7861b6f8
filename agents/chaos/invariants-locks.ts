// The lock invariants, read from the leases workers were granted: two leases on one resource
// never certainly held at the same moment, and a later grant always carries a higher fence.

import { type Cell, fail, na, ok } from "./cell.js";
import type { Evidence, Lease } from "./history.js";

function byResource(leases: Lease[]): Map<string, Lease[]> {
  const out = new Map<string, Lease[]>();
  const seen = new Set<string>();
  for (const l of leases) {
    // A replay of the same grant (idempotency key) is the same lease, not a second holder.
    if (seen.has(`${l.resource}\n${l.lease_id}`)) continue;
    seen.add(`${l.resource}\n${l.lease_id}`);
    out.set(l.resource, [...(out.get(l.resource) ?? []), l]);
  }
  return out;
}

export function checkOneHolder(ev: Evidence): Cell {
  if (ev.leases.length === 0) return na("no locks taken");
  const groups = byResource(ev.leases);
  for (const [resource, leases] of groups) {
    for (const [i, a] of leases.entries()) {
      for (const b of leases.slice(i + 1)) {
        // Each lease was certainly held from its answer to its release (or expiry).
        const from = Math.max(a.grantedBy, b.grantedBy);
        const to = Math.min(a.heldUntil, b.heldUntil);
        if (from < to)
          return fail(
            `${resource}: ${a.holder} (fence ${a.fence}) and ${b.holder} (fence ${b.fence}) both held it for ${to - from} ms`,
          );
      }
    }
  }
  return ok(`${ev.leases.length} grants on ${groups.size} lock(s)`);
}

export function checkFences(ev: Evidence): Cell {
  if (ev.leases.length === 0) return na("no locks taken");
  const groups = byResource(ev.leases);
  for (const [resource, leases] of groups) {
    for (const a of leases) {
      for (const b of leases) {
        // Only pairs whose order is certain: a was granted before b was even asked for.
        if (a === b || a.grantedBy > b.grantedAfter) continue;
        if (a.fence >= b.fence)
          return fail(`${resource}: fence ${b.fence} granted after fence ${a.fence}`);
      }
    }
  }
  const top = Math.max(...ev.leases.map((l) => l.fence));
  return ok(`${groups.size} lock(s), fences up to ${top}`);
}
