// The workloads and the case list. A workload is the same sequence of tool calls on either side:
// a read of an 8-entry blackboard, a lock acquire + release on a lock of the worker's own, a post
// to a key of the worker's own with the right expected_version, or the bare server's no-op.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { TransportName } from "./endpoints.js";
import type { Op } from "./harness.js";
import { call, type Packet, READ_TASK, TASK } from "./world.js";

export const TOOLS = ["read", "lock", "post"] as const;
export type Workload = (typeof TOOLS)[number] | "noop";

export const LABELS: Record<Workload, string> = {
  read: "blackboard_read",
  lock: "lock_acquire + lock_release",
  post: "blackboard_post",
  noop: "no-op",
};

export interface Case {
  transport: TransportName;
  concurrency: number;
  packet: Packet;
  /** What the governed side runs, and what the bare side runs (the same, or the no-op). */
  governed: Exclude<Workload, "noop">;
  bare: Workload;
  /** The floor for the median governed/bare ratio, where it sets one. */
  target?: number;
}

/** An operation for workers spread over `clients`; `tag` keeps locks and keys apart per side. */
export function workload(kind: Workload, clients: Client[], tag: string): Op {
  const on = (w: number) => clients[w % clients.length]!;
  if (kind === "noop") return async (w) => void (await call(on(w), "noop"));
  if (kind === "read")
    return async (w) => void (await call(on(w), "blackboard_read", { task_id: READ_TASK }));
  if (kind === "lock")
    return async (w) => {
      const resource = `${tag}-w${w}`;
      const lease = await call(on(w), "lock_acquire", { resource, ttl_ms: 30_000 });
      await call(on(w), "lock_release", { resource, lease_id: lease.lease_id });
    };
  const versions = new Map<number, number>();
  return async (w) => {
    const version = versions.get(w) ?? 0;
    await call(on(w), "blackboard_post", {
      task_id: TASK,
      section: "progress",
      key: `${tag}-w${w}`,
      value: { step: version + 1, note: "benchmark progress line" },
      expected_version: version,
    });
    versions.set(w, version + 1);
  };
}

/** The targets (median ratio, ≥ 3 rounds, one run). */
function target(c: Omit<Case, "target">): number | undefined {
  if (c.bare === "noop") return c.concurrency === 1 && c.transport === "stdio" ? 0.5 : undefined;
  if (c.concurrency !== 16) return undefined;
  if (c.transport === "http") return 0.9;
  if (c.transport === "inproc") return c.governed === "post" ? 0.9 : 0.5;
  return undefined;
}

export function cases(opts: {
  transports: readonly TransportName[];
  tools: readonly (typeof TOOLS)[number][];
  concurrency: readonly number[];
}): Case[] {
  const out: Case[] = [];
  for (const transport of opts.transports) {
    for (const governed of opts.tools)
      for (const concurrency of opts.concurrency)
        for (const packet of ["free", "held"] as const)
          out.push({ transport, concurrency, packet, governed, bare: governed });
    // A governed write over stdio, one call at a time, against the cheapest possible SDK call.
    if (transport === "stdio" && opts.tools.includes("post"))
      for (const packet of ["free", "held"] as const)
        out.push({ transport, concurrency: 1, packet, governed: "post", bare: "noop" });
  }
  return out.map((c) => {
    const t = target(c);
    return t === undefined ? c : { ...c, target: t };
  });
}
