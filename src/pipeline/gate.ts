// Human gates: the run waits (checkpointed as `waiting`, with its deadline) until a person approves
// or rejects — from the CLI, gate_approve or another process — or the deadline passes.
import { formatDuration } from "../util/duration.js";
import type { RunCtx } from "./run-context.js";
import type { GateStageDef } from "./types.js";

export type GateResult =
  | { decision: "approved" | "rejected"; by: string; reason: string }
  | { decision: "timed_out" };

export async function waitGate(ctx: RunCtx, def: GateStageDef): Promise<GateResult | null> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  if (s.status !== "waiting") {
    const deadline = deps.clock.now() + def.timeout_ms;
    record.status = "waiting";
    await ctx.move(
      def.name,
      "waiting",
      `waiting for approval until ${new Date(deadline).toISOString()}: agov pipeline approve ${record.run_id} ${def.name}`,
      { deadline },
    );
  }
  const deadline = s.deadline!;
  for (;;) {
    if (ctx.signal.aborted) return null;
    const d = await deps.store.decision(record.run_id, def.name);
    if (d && d.at <= deadline) {
      record.status = "running";
      const decision = d.decision === "approve" ? "approved" : "rejected";
      await ctx.move(
        def.name,
        decision,
        `${decision} by ${d.by}${d.reason ? `: ${d.reason}` : ""}`,
        {
          decided_by: d.by,
        },
      );
      return { decision, by: d.by, reason: d.reason };
    }
    const now = deps.clock.now();
    if (now >= deadline) {
      record.status = "running";
      await ctx.move(
        def.name,
        "timed_out",
        `no decision within ${formatDuration(def.timeout_ms)} (deadline ${new Date(deadline).toISOString()})`,
      );
      return { decision: "timed_out" };
    }
    await ctx.keepAlive();
    await deps.sleep(Math.min(deps.pollMs, deadline - now), ctx.signal);
  }
}
