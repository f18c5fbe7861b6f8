// The run engine: drives a run's stages in order, one at a time, checkpointing every transition,
// under a lock on the run so two runners never drive it at once. Resuming a record continues from
// its last completed stage: finished stages are kept, an interrupted one starts again.
import { AgovError } from "../util/errors.js";
import { finishedOnRecord, retireAgent, runAgentStage } from "./agent-stage.js";
import { runAssigned } from "./assigned.js";
import { runCommandStage } from "./command.js";
import { waitGate } from "./gate.js";
import { runGithubStage } from "./github-stage.js";
import { runnerLock } from "./record.js";
import { type EngineDeps, type RunCtx, succeeded, TERMINAL } from "./run-context.js";
import type { RunRecord, RunStatus, StageDef, StageRecord } from "./types.js";
import { evaluateWhen } from "./when.js";

const RUNNER_TTL_MS = 60_000;
const REFRESH_EVERY_MS = 15_000;

export type Engine = ReturnType<typeof createEngine>;

export function createEngine(deps: EngineDeps) {
  const { state, clock, store } = deps;

  async function takeRun(record: RunRecord) {
    const resource = runnerLock(record.run_id);
    const holder = `runner:${deps.host}:${deps.pid}`;
    let lease = await state.locks.acquire(resource, holder, RUNNER_TTL_MS);
    const prev = record.runner;
    if (!lease.acquired && prev && prev.host === deps.host && !deps.alive(prev.pid)) {
      // The runner that held it died (kill -9): its lease is on the record, so it can be freed.
      await state.locks.release(resource, prev.lease_id).catch(() => {});
      lease = await state.locks.acquire(resource, holder, RUNNER_TTL_MS);
    }
    if (!lease.acquired)
      throw new AgovError(
        "CONFLICT",
        `run ${record.run_id} is being driven by ${lease.holder} (lock held until ${new Date(lease.expires_at).toISOString()}); wait for it to finish, or resume after its lock lapses`,
      );
    record.runner = { holder, lease_id: lease.lease_id, host: deps.host, pid: deps.pid };
    return resource;
  }

  /** Drives the run to its end, or until `signal` stops it; `by` says who asked (for the record). */
  async function drive(record: RunRecord, signal: AbortSignal, by: string): Promise<RunRecord> {
    const resource = await takeRun(record);
    // Only now is the record ours: reload it, so nothing written before the lock is lost.
    const fresh = await store.load(record.run_id);
    if (fresh) Object.assign(record, fresh, { runner: record.runner });
    let lastRefresh = clock.now();
    const keepAlive = async () => {
      if (clock.now() - lastRefresh < REFRESH_EVERY_MS) return;
      lastRefresh = clock.now();
      const lease = record.runner!;
      try {
        await state.locks.refresh(resource, lease.lease_id, RUNNER_TTL_MS);
      } catch {
        const again = await state.locks.acquire(resource, lease.holder, RUNNER_TTL_MS);
        if (!again.acquired)
          throw new AgovError("CONFLICT", `run ${record.run_id} was taken over by ${again.holder}`);
        lease.lease_id = again.lease_id;
      }
    };
    const timer = setInterval(() => void keepAlive().catch(() => {}), REFRESH_EVERY_MS);
    timer.unref();
    const ctx: RunCtx = {
      deps,
      record,
      signal,
      keepAlive,
      async move(stage, to, reason, patch = {}) {
        const s = record.stages[stage]!;
        const from = s.status;
        Object.assign(s, patch, { status: to, reason });
        if (to === "running" || to === "waiting") s.started_at ??= clock.now();
        if (TERMINAL.has(to)) s.finished_at = clock.now();
        await store.checkpoint(
          record,
          `stage ${stage}: ${from} → ${to}${reason ? ` (${reason})` : ""}`,
        );
        if (to === "waiting") {
          const assignee = record.assign[stage];
          // Told to every instance (the sessions of whoever it waits for); a hint, never a failure.
          void state.events
            .publish({
              type: "stage_waiting",
              run_id: record.run_id,
              stage,
              kind: record.pipeline.stages.find((d) => d.name === stage)?.kind ?? "agent",
              ...(assignee ? { assignee } : {}),
            })
            .catch(() => {});
        }
        deps.onEvent({
          type: "stage",
          run_id: record.run_id,
          stage,
          kind: record.pipeline.stages.find((d) => d.name === stage)?.kind ?? "agent",
          from,
          to,
          reason,
          attempt: s.attempts,
        });
      },
    };
    try {
      await reopen(ctx, by);
      for (const def of record.pipeline.stages) {
        if (signal.aborted) return record;
        const s = record.stages[def.name]!;
        if (TERMINAL.has(s.status)) continue;
        const blocked = def.requires.filter((r) => !succeeded(record.stages[r]));
        if (blocked.length > 0) {
          const what = blocked.map((r) => `${r} (${record.stages[r]!.status})`).join(", ");
          await ctx.move(def.name, "skipped", `requires ${what}`);
          continue;
        }
        if (def.when && !evaluateWhen(def.when.cond, record.stages)) {
          await ctx.move(def.name, "skipped", `when: ${def.when.text} is false`);
          continue;
        }
        const stop = await runStage(ctx, def);
        if (signal.aborted) return record;
        if (stop) return await finish(ctx, stop.status, stop.reason);
      }
      return await finish(ctx, "succeeded", null);
    } finally {
      clearInterval(timer);
      await state.locks.release(resource, record.runner!.lease_id).catch(() => {});
    }
  }

  return { drive };
}

/** Runs one stage; returns how the run ends when this stage ends it. */
async function runStage(
  ctx: RunCtx,
  def: StageDef,
): Promise<{ status: RunStatus; reason: string } | null> {
  const s = ctx.record.stages[def.name]!;
  if (def.kind === "human-gate") {
    const r = await waitGate(ctx, def);
    if (!r) return null;
    if (r.decision === "rejected")
      return { status: "rejected", reason: `gate ${def.name} rejected by ${r.by}: ${r.reason}` };
    if (r.decision === "timed_out")
      return { status: "failed", reason: `gate ${def.name} timed out: ${s.reason}` };
    return null;
  }
  if (def.kind === "command" || def.kind === "github") {
    const done =
      def.kind === "command" ? await runCommandStage(ctx, def) : await runGithubStage(ctx, def);
    if (done || def.on_failure === "continue" || ctx.signal.aborted) return null;
    return { status: "failed", reason: `stage ${def.name} failed: ${s.reason}` };
  }
  const ok = ctx.record.assign[def.name]
    ? await runAssigned(ctx, def)
    : await runAgentStage(ctx, def);
  if (ok || def.on_failure === "continue") return null;
  return { status: "failed", reason: `stage ${def.name} failed: ${s.reason}` };
}

async function finish(ctx: RunCtx, status: RunStatus, reason: string | null): Promise<RunRecord> {
  const { record, deps } = ctx;
  record.status = status;
  record.reason = reason;
  await deps.store.checkpoint(record, `run ${status}${reason ? `: ${reason}` : ""}`);
  deps.onEvent({ type: "run", run_id: record.run_id, status, reason });
  return record;
}

/**
 * Before driving (a new run or a resume): an agent stage interrupted mid-attempt is started over
 * with a new agent (the old one is retired), a failed stage is given another go, and gates that
 * timed out wait again. Waiting gates keep their deadline; finished stages are left alone.
 */
async function reopen(ctx: RunCtx, by: string): Promise<void> {
  const { record, deps } = ctx;
  const reopened: string[] = [];
  for (const def of record.pipeline.stages) {
    const s: StageRecord = record.stages[def.name]!;
    const again =
      s.status === "timed_out" ||
      (s.status === "failed" && def.kind !== "human-gate" && def.on_failure === "stop");
    if (def.kind === "command" && (s.status === "running" || again)) {
      // Commands that exited 0 are kept and never run again; a failed last one runs again.
      const steps = (s.steps ?? []).filter((r) => r.exit_code === 0 && !r.timed_out);
      const what =
        s.status === "running"
          ? `runner stopped during command ${steps.length + 1} of ${def.steps.length}`
          : `reopened on resume (was ${s.status})`;
      await ctx.move(
        def.name,
        "pending",
        `${what}; ${steps.length} finished command(s) not run again`,
        {
          steps,
        },
      );
      reopened.push(def.name);
      continue;
    }
    if (again && record.assign[def.name]) {
      // The assignee takes the stage again with stage_run; an old claim no longer counts.
      await deps.store.putClaim(record.run_id, def.name, { agent_id: "", at: deps.clock.now() });
    }
    if (s.status === "running" && def.kind === "agent" && !record.assign[def.name]) {
      const abandoned = s.agents.at(-1);
      if (abandoned && (await finishedOnRecord(ctx, def, abandoned))) {
        await retireAgent(ctx, abandoned);
        s.artifacts = await deps.state.tasks.artifacts(s.task_id);
        await ctx.move(
          def.name,
          "succeeded",
          `${abandoned} reached EXIT with its artifacts before the runner stopped; not run again`,
        );
        continue;
      }
      if (abandoned) await retireAgent(ctx, abandoned);
      await ctx.move(
        def.name,
        "pending",
        `runner stopped during attempt ${s.attempts}; ${abandoned ?? "its agent"} retired, starting over`,
      );
      reopened.push(def.name);
    } else if (again) {
      if (def.kind === "human-gate") await deps.store.clearDecision(record.run_id, def.name);
      await ctx.move(def.name, "pending", `reopened on resume (was ${s.status})`, {
        deadline: null,
      });
      reopened.push(def.name);
    }
  }
  if (record.status !== "running" && record.status !== "waiting") {
    record.status = "running";
    record.reason = null;
  }
  const what = reopened.length > 0 ? `; reopened ${reopened.join(", ")}` : "";
  await deps.store.checkpoint(record, `${by}: run driven by ${record.runner!.holder}${what}`);
}
