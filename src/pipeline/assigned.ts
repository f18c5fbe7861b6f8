// Assigned stages: an outside agent (assigned when the run started) takes the stage with
// stage_run, which gives it the stage's packet; the run follows that agent's governed lifecycle
// and moves on when it reaches EXIT with the artifacts, or fails when it is revoked or late.

import { formatDuration } from "../util/duration.js";
import { authoredArtifacts } from "./agent-stage.js";
import type { RunCtx } from "./run-context.js";
import type { AgentStageDef } from "./types.js";

export async function runAssigned(ctx: RunCtx, def: AgentStageDef): Promise<boolean> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  const assignee = record.assign[def.name]!;
  const now = () => deps.clock.now();
  if (s.status === "pending") {
    const deadline = now() + def.timeout_ms;
    record.status = "waiting";
    await ctx.move(
      def.name,
      "waiting",
      `waiting for ${assignee} to take the stage with stage_run (until ${new Date(deadline).toISOString()})`,
      { deadline, assignee },
    );
  }
  const claim = await poll(ctx, def.name, async () => {
    const c = await deps.store.claim(record.run_id, def.name);
    return c && c.agent_id === assignee ? c : null;
  });
  if (!claim) return late(ctx, def, `${assignee} did not take the stage`);
  if (s.status === "waiting") {
    record.status = "running";
    await ctx.move(def.name, "running", `${assignee} took the stage at T${def.tier}`, {
      attempts: s.attempts + 1,
      agents: [...s.agents, assignee],
      deadline: claim.at + def.timeout_ms,
    });
  }
  const end = await poll(ctx, def.name, async () => {
    // The assignee's EXIT on this task is on record even if it has started another run since.
    const exited = await deps.state.exits.get(s.task_id, assignee);
    if (exited && exited.started_at >= claim.at) return "exit" as const;
    const run = await deps.governance.getRun(assignee);
    if (!run || run.task_id !== s.task_id || run.started_at < claim.at) return null;
    if (run.revoked) return "revoked" as const;
    return run.phase === "EXIT" ? ("exit" as const) : null;
  });
  s.artifacts = await deps.state.tasks.artifacts(s.task_id);
  if (!end) return late(ctx, def, `${assignee} did not finish the stage`);
  if (end === "revoked") {
    const r = (await deps.ledger.revocations(assignee)).at(-1);
    await ctx.move(def.name, "failed", `${assignee} revoked: ${r?.reason_type}: ${r?.details}`);
    return false;
  }
  const authored = await authoredArtifacts(ctx, s.task_id, def.artifacts, assignee);
  const missing = def.artifacts.filter((a) => !authored.includes(a));
  if (missing.length > 0) {
    const details = `required artifact(s) missing after stage ${def.name}: ${missing.join(", ")}`;
    await deps.governance.revoke({
      agent_id: assignee,
      tier: def.tier,
      reason: "MISSING_ARTIFACT",
      details,
      revoked_by: `pipeline:${record.run_id}`,
    });
    await ctx.move(def.name, "failed", `${assignee} revoked: MISSING_ARTIFACT: ${details}`);
    return false;
  }
  await ctx.move(def.name, "succeeded", `${assignee} reached EXIT with every artifact`);
  return true;
}

/** Polls until `find` answers, the stage's deadline passes (null) or the run stops (null). */
async function poll<T>(
  ctx: RunCtx,
  stage: string,
  find: () => Promise<T | null>,
): Promise<T | null> {
  const { deps } = ctx;
  for (;;) {
    const hit = await find();
    if (hit !== null) return hit;
    if (ctx.signal.aborted) return null;
    const deadline = ctx.record.stages[stage]!.deadline ?? Number.POSITIVE_INFINITY;
    const now = deps.clock.now();
    if (now >= deadline) return null;
    await ctx.keepAlive();
    await deps.sleep(Math.min(deps.pollMs, deadline - now), ctx.signal);
  }
}

async function late(ctx: RunCtx, def: AgentStageDef, what: string): Promise<false> {
  if (ctx.signal.aborted) return false;
  ctx.record.status = "running";
  await ctx.move(def.name, "failed", `${what} within ${formatDuration(def.timeout_ms)}`);
  return false;
}
