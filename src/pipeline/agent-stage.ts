// One agent stage under governance: each attempt gets a fresh agent with its own packet (the
// stage's artifacts as deliverables) and a token at the stage's tier; a declared artifact missing
// afterwards revokes the agent (MISSING_ARTIFACT); failures are retried with backoff.

import type { StateStore } from "../state/index.js";
import { type Clock, wait } from "../util/clock.js";
import { formatDuration } from "../util/duration.js";
import { toAgovError } from "../util/errors.js";
import { stageArtifacts, withArtifacts } from "./load.js";
import type { RunCtx } from "./run-context.js";
import type { AgentStageDef, RetryPolicy, RunRecord, StageOutcome, StageTask } from "./types.js";

/** Wait before attempt `n + 1` after `n` failed ones: backoff × factor^(n−1), capped. */
export function backoffDelay(policy: RetryPolicy, failed: number): number {
  const raw = policy.backoff_ms * policy.factor ** Math.max(0, failed - 1);
  return Math.min(Math.round(raw), policy.max_backoff_ms);
}

/** Runs the stage to success or to its last attempt; returns whether it succeeded. */
export async function runAgentStage(ctx: RunCtx, def: AgentStageDef): Promise<boolean> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  for (let attempt = 1; ; attempt++) {
    const n = s.attempts + 1;
    const agentId = `${record.run_id}-${def.name}-${n}`;
    await ctx.move(def.name, "running", `attempt ${n}: ${agentId} as ${def.role} at T${def.tier}`, {
      attempts: n,
      agents: [...s.agents, agentId],
    });
    const outcome = await attemptOnce(ctx, def, agentId, n);
    // Stopped from outside: the stage stays `running` on record, and a resume starts it over.
    if (ctx.signal.aborted) return false;
    s.artifacts = await deps.state.tasks.artifacts(s.task_id);
    if (outcome.ok) {
      const made = def.artifacts.length > 0 ? `recorded ${def.artifacts.join(", ")}` : "done";
      await ctx.move(def.name, "succeeded", `${agentId}: ${made}`);
      return true;
    }
    const why = outcome.error ?? "failed";
    if (attempt >= def.retry.attempts) {
      const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
      await ctx.move(def.name, "failed", `${why}${tries}`.slice(0, 1000));
      return false;
    }
    const delay = backoffDelay(def.retry, attempt);
    await ctx.move(
      def.name,
      "pending",
      `attempt ${n} failed: ${why}; retrying in ${formatDuration(delay)}`.slice(0, 1000),
    );
    deps.onEvent({
      type: "retry",
      run_id: record.run_id,
      stage: def.name,
      attempt: n + 1,
      delay_ms: delay,
    });
    await deps.sleep(delay, ctx.signal);
    if (ctx.signal.aborted) return false;
  }
}

async function attemptOnce(
  ctx: RunCtx,
  def: AgentStageDef,
  agentId: string,
  attempt: number,
): Promise<StageOutcome> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  const executor = deps.executors.resolve(record.pipeline.name, def.name);
  if (!executor)
    return {
      ok: false,
      error:
        "no stage executor is installed here: run the pipeline with `agov pipeline run`, or assign the stage to an agent",
    };
  const objective = await stageObjective(deps.state, record, def);
  await deps.governance.createStagePacket(
    record.run_id,
    stagePacket(ctx.record, def, agentId, objective),
  );
  const { token } = await deps.authority.issue({
    agent_id: agentId,
    tier: def.tier,
    ttl_ms: def.timeout_ms + 5 * 60_000,
  });
  const abort = new AbortController();
  const stop = () => abort.abort();
  ctx.signal.addEventListener("abort", stop, { once: true });
  // The stage's deadline runs on the injected clock; `ended` cancels it when the attempt ends.
  const ended = new AbortController();
  void wait(deps.clock, def.timeout_ms, ended.signal).then(() => {
    if (!ended.signal.aborted) stop();
  });
  // The agent is retired on every path from here (its token withdrawn, its locks freed).
  try {
    const task: StageTask = {
      run_id: record.run_id,
      pipeline: record.pipeline.name,
      stage: def.name,
      attempt,
      agent_id: agentId,
      token,
      task_id: s.task_id,
      role: { ...record.pipeline.roles[def.role]!, tier: def.tier },
      objective,
      artifacts: def.artifacts,
      inputs: def.requires.map((r) => ({
        stage: r,
        status: record.stages[r]!.status,
        artifacts: record.stages[r]!.artifacts,
      })),
      handoff: (await deps.state.tasks.getHandoff(s.task_id)) !== null,
      signal: abort.signal,
    };
    let outcome: StageOutcome;
    try {
      // A stage's timeout is enforced, not only requested: an executor that ignores its signal
      // is left behind a short grace period after the deadline.
      outcome = await Promise.race([
        executor(task),
        abandonedAfter(deps.clock, abort.signal, GRACE_MS, ended.signal),
      ]);
    } catch (err) {
      outcome = { ok: false, error: toAgovError(err).message };
    }
    if (ctx.signal.aborted) return { ok: false, error: "the runner was stopped" };
    if (abort.signal.aborted)
      outcome = { ok: false, error: `timed out after ${formatDuration(def.timeout_ms)}` };
    const revoked = await enforceArtifacts(ctx, def, agentId, outcome.ok);
    if (revoked) return { ok: false, error: `${agentId} revoked: ${revoked}` };
    return outcome;
  } finally {
    ended.abort();
    ctx.signal.removeEventListener("abort", stop);
    await retireAgent(ctx, agentId);
  }
}

/** How long an executor may keep running after its stage was stopped. */
const GRACE_MS = 5000;

/**
 * Settles (as a failed outcome) `graceMs` of clock time after `signal` aborts; never before, and
 * never once `ended` (the attempt finished first).
 */
function abandonedAfter(
  clock: Clock,
  signal: AbortSignal,
  graceMs: number,
  ended: AbortSignal,
): Promise<StageOutcome> {
  return new Promise((resolve) => {
    const settle = () => {
      void wait(clock, graceMs, ended).then(() => {
        if (!ended.aborted)
          resolve({ ok: false, error: "the stage's agent did not stop when asked" });
      });
    };
    if (signal.aborted) settle();
    else signal.addEventListener("abort", settle, { once: true });
  });
}

/**
 * The seed's trigger: a stage reported done without a declared artifact revokes its agent. (An
 * agent that failed is not charged twice: its stage fails with its own error.) Returns why the
 * agent was revoked, by this check or by governance during the stage.
 */
async function enforceArtifacts(ctx: RunCtx, def: AgentStageDef, agentId: string, done: boolean) {
  const { deps, record } = ctx;
  const earlier = (await deps.ledger.revocations(agentId))[0];
  if (earlier) return `${earlier.reason_type}: ${earlier.details}`;
  const have = await authoredArtifacts(
    ctx,
    record.stages[def.name]!.task_id,
    def.artifacts,
    agentId,
  );
  const missing = def.artifacts.filter((a) => !have.includes(a));
  if (!done || missing.length === 0) return null;
  const details = `required artifact(s) missing after stage ${def.name}: ${missing.join(", ")}`;
  await deps.governance.revoke({
    agent_id: agentId,
    tier: def.tier,
    reason: "MISSING_ARTIFACT",
    details,
    revoked_by: `pipeline:${record.run_id}`,
  });
  return `MISSING_ARTIFACT: ${details}`;
}

/**
 * The declared artifacts that count as this agent's work, by governance's one rule (the agent
 * recorded them, or the revoked agents it continues from did): an artifact someone else wrote into
 * the stage's task does not count.
 */
export function authoredArtifacts(
  ctx: RunCtx,
  taskId: string,
  names: readonly string[],
  agentId: string,
): Promise<string[]> {
  return ctx.deps.governance.ownArtifacts(agentId, taskId, names);
}

/**
 * Whether the attempt's agent finished the stage before its runner stopped: it reached EXIT on
 * the stage's task (the record of EXITs outlives the agent's run), was not revoked, and every
 * declared artifact is its own. Such a stage is done; running it again would do its work twice.
 */
export async function finishedOnRecord(
  ctx: RunCtx,
  def: AgentStageDef,
  agentId: string,
): Promise<boolean> {
  const { deps, record } = ctx;
  const taskId = record.stages[def.name]!.task_id;
  if (!(await deps.state.exits.get(taskId, agentId))) return false;
  if ((await deps.ledger.revocations(agentId)).length > 0) return false;
  const have = await authoredArtifacts(ctx, taskId, def.artifacts, agentId);
  return def.artifacts.every((a) => have.includes(a));
}

/** A stage agent lives for one attempt: its locks are freed and its token withdrawn. */
export async function retireAgent(ctx: RunCtx, agentId: string): Promise<void> {
  const { deps } = ctx;
  const run = await deps.governance.getRun(agentId);
  if (run?.exec_lease)
    await deps.state.locks
      .release(run.exec_lease.resource, run.exec_lease.lease_id)
      .catch(() => {});
  await deps.state.locks.releaseAll(agentId);
  try {
    await deps.authority.revokeAgent(agentId);
  } catch (err) {
    // Not swallowed: the run goes on (the token still ends at its TTL), and the ledger says that
    // this agent's token outlived its stage, and why.
    const e = toAgovError(err);
    await deps.ledger.record(
      {
        kind: "token",
        agent_id: agentId,
        action: `withdraw the token of ${agentId} after its stage: failed, it stays valid until its TTL`,
        decision: "allow",
        detail: { op: "revoke", by: `pipeline:${ctx.record.run_id}` },
      },
      {
        success: false,
        error_type: e.code,
        error_reason: e.reason ?? null,
        error_message: e.message,
      },
    );
  }
}

/** The instruction packet of a stage's agent: the stage's artifacts are its deliverables. */
export function stagePacket(
  record: RunRecord,
  def: AgentStageDef,
  agentId: string,
  objective: string,
) {
  return {
    agent_id: agentId,
    task_id: record.stages[def.name]!.task_id,
    objective,
    deliverables: def.artifacts,
    constraints: {
      scope: [`pipeline ${record.pipeline.name}, run ${record.run_id}: stage ${def.name}`],
      forbidden: ["pipeline_run", "gate_approve", "packet_create", "agent_revoke"],
      required_steps: [
        "record a plan before EXECUTE",
        "record every declared artifact before VERIFY",
      ],
    },
    success_criteria: def.artifacts.map((a) => `artifact ${a} recorded`),
    escalation_rules: ["on repeated failures, report them with error_report and stop"],
  };
}

/**
 * The stage's objective as its agent gets it: with the run's objective as context, and each
 * `${stages.<s>.artifacts.<name>}` replaced by that earlier stage's artifact.
 */
export async function stageObjective(
  state: StateStore,
  record: RunRecord,
  def: AgentStageDef,
): Promise<string> {
  const text = record.objective ? `${def.objective} Context: ${record.objective}` : def.objective;
  return withArtifacts(text, stageArtifacts(state, record));
}
