// Revocation: the token goes, the record is written (state and ledger), the agent's locks are
// freed, a handoff is left for the next agent, and every session of the agent is told at once.
// A run is revoked once; the agent's tokens are revoked on every call, so an agent given a new
// token after a revocation can be revoked again straight away.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import type { Notice } from "../util/notice.js";
import { authoredArtifacts, authorsFor } from "./artifacts.js";
import type { RevocationReason } from "./budget.js";
import { PHASES, phaseIndex } from "./lifecycle.js";
import type { InstructionPacket } from "./packets.js";
import { getRun, putRun, updateRoster } from "./runs.js";

/** The seed's HandoffObject, written to handoff:{task}:latest. */
export interface Handoff {
  task_id: string;
  previous_agent_id: string;
  revoked: boolean;
  revocation_reason: { type: string; details: string };
  last_known_state: { phase: string; step: string };
  what_was_tried: string[];
  blocking_issue: string;
  required_next_actions: string[];
  constraints_reminder: string[];
  artifacts: string[];
  created_at: string;
}

const SEVERITY: Record<RevocationReason, "medium" | "high" | "critical"> = {
  PROCEDURE_VIOLATION: "high",
  SAME_ERROR_REPEATED: "medium",
  ERROR_BUDGET_EXCEEDED: "medium",
  MISSING_ARTIFACT: "high",
  FORBIDDEN_ACTION: "critical",
  MANUAL: "high",
};

export interface RevokeRequest {
  agent_id: string;
  /** The tier on record for the agent's run, if known. */
  tier?: number;
  reason: RevocationReason;
  details: string;
  revoked_by: string;
  tool?: string;
}

export interface RevokeResult {
  agent_id: string;
  /** Whether this call revoked anything: a run, a packet not yet started, or the agent's tier. */
  revoked: boolean;
  /** The run this call revoked (each run is revoked once), if any. */
  run_id: string | null;
  /** How many live tokens this call revoked. */
  tokens_revoked: number;
  /** Another revocation of the agent was being applied at that moment; it does the work. */
  in_progress?: true;
  /** The handoff this call left, or the task's latest when it revoked no run. */
  handoff: Handoff | null;
}

/**
 * The one revocation path: every revocation (budget triggers, a missing artifact, a forbidden
 * action, agent_revoke, `agov token revoke`, a pipeline) goes through the function this returns.
 */
export function createRevoker(deps: {
  state: StateStore;
  ledger: Ledger;
  authority: Authority;
  clock: Clock;
  notify?: ((n: Notice) => void) | undefined;
}) {
  const { state, ledger, authority, clock } = deps;
  const handoffOf = async (taskId: string | undefined) =>
    taskId ? ((await state.tasks.getHandoff(taskId)) as Handoff | null) : null;

  return async function revoke(req: RevokeRequest): Promise<RevokeResult> {
    // Revocations of one agent are applied one at a time: concurrent triggers (several bad calls
    // at once) race for this claim, and the losers leave the work to the winner.
    const claim = await state.locks
      .acquire(`agent:${req.agent_id}:revoking`, "agov", 60_000)
      .catch((err: unknown) => {
        // After a data loss locks wait out every earlier lease; a revocation cannot wait that
        // long, and goes ahead unserialised (the run's own mark still applies it once).
        if (err instanceof AgovError && err.reason === "LOCKS_HELD_AFTER_DATA_LOSS") return null;
        throw err;
      });
    if (claim === null) return apply(req);
    if (!claim.acquired) {
      const run = await getRun(state, req.agent_id);
      return {
        agent_id: req.agent_id,
        revoked: false,
        run_id: null,
        tokens_revoked: 0,
        in_progress: true,
        handoff: await handoffOf(run?.task_id),
      };
    }
    try {
      return await apply(req);
    } finally {
      // What makes a run's revocation happen once is the run's own mark, not this claim, so a
      // token issued after a revocation can be revoked again at once.
      await state.locks.release(claim.resource, claim.lease_id).catch(() => {});
    }
  };

  async function apply(req: RevokeRequest): Promise<RevokeResult> {
    const agent = req.agent_id;
    const before = await getRun(state, agent);
    const packet = (await state.agents.getPacket(agent)) as InstructionPacket | null;
    const waiting = packet && (!before || before.packet_at !== packet.created_at) ? packet : null;
    // The run to revoke: one in progress, one whose revocation was only partly applied, or a
    // finished one (its EXIT fell short, e.g. a pipeline stage's artifacts) unless a new packet
    // waits. A run whose revocation was applied in full is never revoked again.
    const live = before && !before.revoked && before.phase !== "EXIT";
    const partial = before?.revoked && !before.revocation_done;
    const finished = before && !before.revoked && before.phase === "EXIT" && !waiting;
    const run = before && (live || partial || finished) ? before : null;
    // A packet not started yet is revoked once: that bars its agent from BOOTSTRAP for good.
    const barred =
      !run && waiting !== null && (await ledger.revocations(agent)).length === 0 ? waiting : null;
    // Otherwise only the agent's standing with the authority is left: live tokens or a role.
    const standing = run || barred ? null : await authority.tierOf(agent).catch(() => undefined);
    if (!run && !barred && standing === null) {
      const handoff = await handoffOf(before?.task_id);
      return { agent_id: agent, revoked: false, run_id: null, tokens_revoked: 0, handoff };
    }
    const taskId = run?.task_id ?? barred?.task_id ?? null;
    const at = clock.now();
    // The run is marked first, so the agent's next call is refused by the lifecycle gate even
    // before its token is gone; every later step is attempted even if one before it fails.
    if (run) await putRun(state, agent, { ...run, revoked: true, exec_lease: null });
    const failures: string[] = [];
    const step = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
        return undefined;
      }
    };
    await step("ledger", async () => {
      // The run's end first, so the revocation is the last word on the agent's record. A run
      // that already reached EXIT was counted then; it is not counted twice.
      if (run && run.phase !== "EXIT")
        await ledger.record(
          {
            kind: "run",
            agent_id: agent,
            tier: req.tier ?? (await authority.tierOf(agent).catch(() => null)),
            action: "run ended: revoked",
            decision: "deny",
            detail: { compliant: false, task_id: run.task_id, run_id: run.run_id },
          },
          { success: true },
        );
      await ledger.record(
        {
          kind: "revocation",
          agent_id: agent,
          tier: req.tier ?? standing ?? null,
          action: `revoked: ${req.reason}`,
          decision: "deny",
          tool: req.tool ?? null,
          detail: {
            task_id: taskId,
            reason_type: req.reason,
            details: req.details,
            revoked_by: req.revoked_by,
            severity: SEVERITY[req.reason],
          },
        },
        {
          success: true,
          error_type: "REVOKED",
          error_reason: req.reason,
          error_message: req.details,
        },
      );
    });
    await step("revocations:ledger", () =>
      state.revocations.append({
        agent_id: agent,
        task_id: taskId,
        reason_type: req.reason,
        details: req.details,
        at,
      }),
    );
    await step("locks", async () => {
      await state.locks.releaseAll(agent);
      if (run?.exec_lease)
        await state.locks.release(run.exec_lease.resource, run.exec_lease.lease_id).catch(() => {});
    });

    let handoff: Handoff | null = null;
    if (taskId) {
      await step("handoff", async () => {
        const artifacts = await state.tasks.artifacts(taskId);
        // The next agent continues from this one, so the same authors' deliverables count.
        const done = await authoredArtifacts(
          state,
          taskId,
          packet?.deliverables ?? [],
          authorsFor(agent, run, taskId),
        );
        handoff = {
          task_id: taskId,
          previous_agent_id: agent,
          revoked: true,
          revocation_reason: { type: req.reason, details: req.details },
          last_known_state: { phase: run?.phase ?? "NOT_STARTED", step: run?.step ?? "" },
          what_was_tried: run ? await state.agents.notes(agent) : [],
          blocking_issue: req.details,
          required_next_actions: nextActions(run?.phase ?? null, packet, done),
          constraints_reminder: reminder(packet),
          artifacts,
          created_at: new Date(at).toISOString(),
        };
        await state.tasks.putHandoff(taskId, handoff as unknown as Record<string, unknown>);
      });
      await step("progress roster", () =>
        updateRoster(state, taskId, agent, { phase: "REVOKED", step: req.reason, at }),
      );
    }
    const tokens = (await step("token", () => authority.revokeAgent(agent))) ?? 0;
    await step("event", () => state.events.publish({ type: "revoked", agent_id: agent }));
    if (failures.length > 0)
      // The claim is released and the run not marked done, so a retry applies it again.
      throw new AgovError(
        "UNAVAILABLE",
        `revocation of ${agent} was only partly applied (${failures.join("; ")}); revoke again once the store is back`,
      );
    if (run) {
      const after = await getRun(state, agent);
      if (after) await putRun(state, agent, { ...after, revocation_done: true });
    }
    const kept = handoff ?? (await handoffOf(before?.task_id));
    deps.notify?.({
      kind: "revoked",
      agent_id: agent,
      reason: req.reason,
      details: req.details,
      task_id: run?.task_id ?? before?.task_id ?? null,
      handoff: kept !== null,
    });
    return {
      agent_id: agent,
      revoked: true,
      run_id: run?.run_id ?? null,
      tokens_revoked: tokens,
      handoff: kept,
    };
  }
}

function nextActions(
  phase: string | null,
  packet: InstructionPacket | null,
  /** The packet's deliverables recorded by the agent (or those it continued from). */
  done: string[],
): string[] {
  const actions = [
    "BOOTSTRAP a new agent (a revoked agent id cannot run again) with a packet for this task",
  ];
  const from =
    phase && (PHASES as readonly string[]).includes(phase) ? phaseIndex(phase as never) : -1;
  if (from >= 0) actions.push(`resume the lifecycle at ${PHASES.slice(from).join(" → ")}`);
  const missing = (packet?.deliverables ?? []).filter((d) => !done.includes(d));
  if (missing.length > 0) actions.push(`produce the missing deliverables: ${missing.join(", ")}`);
  if (packet?.objective) actions.push(`objective: ${packet.objective}`);
  return actions;
}

function reminder(packet: InstructionPacket | null): string[] {
  if (!packet) return [];
  const c = packet.constraints;
  return [
    ...c.scope.map((s) => `scope: ${s}`),
    ...c.forbidden.map((f) => `forbidden: ${f}`),
    ...c.required_steps.map((s) => `required step: ${s}`),
    ...packet.success_criteria.map((s) => `success criterion: ${s}`),
    `error budget: ${packet.error_budget.max_total_errors} errors, ${packet.error_budget.max_same_error_repeats} repeats of one error, ${packet.error_budget.max_procedure_violations} procedure violation(s)`,
  ];
}

export type Revoke = ReturnType<typeof createRevoker>;
