// Revocation: the token goes, the record is written (state and ledger), the agent's locks are
// freed, a handoff is left for the next agent, and every session of the agent is told at once.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
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

export function createRevoker(deps: {
  state: StateStore;
  ledger: Ledger;
  authority: Authority;
  clock: Clock;
}) {
  const { state, ledger, authority, clock } = deps;

  return async function revoke(req: RevokeRequest): Promise<Handoff | null> {
    // One revocation per run: concurrent triggers (several bad calls at once) race for this lock,
    // and the losers, like any trigger after the run was revoked, change nothing.
    const claim = await state.locks.acquire(`agent:${req.agent_id}:revoking`, "agov", 60_000);
    const before = await getRun(state, req.agent_id);
    if (!claim.acquired || before?.revocation_done) {
      const task = before?.task_id;
      return task ? ((await state.tasks.getHandoff(task)) as Handoff | null) : null;
    }
    const run = before;
    const packet = (await state.agents.getPacket(req.agent_id)) as InstructionPacket | null;
    const taskId = run?.task_id ?? packet?.task_id ?? null;
    const at = clock.now();
    // The run is marked first, so the agent's next write is refused by the lifecycle gate even
    // before its token is gone; every later step is attempted even if one before it fails.
    if (run) await putRun(state, req.agent_id, { ...run, revoked: true, exec_lease: null });
    const failures: string[] = [];
    const step = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    await step("ledger", async () => {
      // The run's end first, so the revocation is the last word on the agent's record.
      if (run && req.tier !== undefined)
        await ledger.record(
          {
            kind: "run",
            agent_id: req.agent_id,
            tier: req.tier,
            action: "run ended: revoked",
            decision: "deny",
            detail: { compliant: false, task_id: run.task_id, run_id: run.run_id },
          },
          { success: true },
        );
      await ledger.record(
        {
          kind: "revocation",
          agent_id: req.agent_id,
          tier: req.tier ?? null,
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
        { success: true, error_type: req.reason, error_message: req.details },
      );
    });
    await step("revocations:ledger", () =>
      state.revocations.append({
        agent_id: req.agent_id,
        task_id: taskId,
        reason_type: req.reason,
        details: req.details,
        at,
      }),
    );
    await step("locks", async () => {
      await state.locks.releaseAll(req.agent_id);
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
          authorsFor(req.agent_id, run, taskId),
        );
        handoff = {
          task_id: taskId,
          previous_agent_id: req.agent_id,
          revoked: true,
          revocation_reason: { type: req.reason, details: req.details },
          last_known_state: { phase: run?.phase ?? "NOT_STARTED", step: run?.step ?? "" },
          what_was_tried: run ? await state.agents.notes(req.agent_id) : [],
          blocking_issue: req.details,
          required_next_actions: nextActions(run?.phase ?? null, packet, done),
          constraints_reminder: reminder(packet),
          artifacts,
          created_at: new Date(at).toISOString(),
        };
        await state.tasks.putHandoff(taskId, handoff as unknown as Record<string, unknown>);
      });
      await step("progress board", () =>
        updateRoster(state, taskId, req.agent_id, { phase: "REVOKED", step: req.reason, at }),
      );
    }
    await step("token", () => authority.revokeAgent(req.agent_id));
    await step("event", () => state.events.publish({ type: "revoked", agent_id: req.agent_id }));
    if (failures.length > 0) {
      // Let a retry through: the steps are idempotent enough to apply again.
      if (claim.acquired) await state.locks.release(claim.resource, claim.lease_id).catch(() => {});
      throw new AgovError(
        "UNAVAILABLE",
        `revocation of ${req.agent_id} was only partly applied (${failures.join("; ")}); revoke again once the store is back`,
      );
    }
    const after = await getRun(state, req.agent_id);
    if (after) await putRun(state, req.agent_id, { ...after, revocation_done: true });
    return handoff;
  };
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
