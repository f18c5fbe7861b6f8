// The governance engine: instruction packets, the lifecycle, error budgets, revocation, handoffs
// and promotion — enforced by the server on every governed call, not trusted to the agents.
import type { Authority, Caller, Tier } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock, Ids } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { budgetTrigger } from "./budget.js";
import { type GatedTool, type Phase, phaseProblem, transitionProblem } from "./lifecycle.js";
import { type InstructionPacket, packetInput } from "./packets.js";
import { evaluatePromotion } from "./promotion.js";
import { createRevoker, type Handoff, type RevokeRequest } from "./revocation.js";
import { type AgentRun, getRun, noteTried, planMark, putRun, updateRoster } from "./runs.js";

export { PHASES, type Phase } from "./lifecycle.js";
export { DEFAULT_BUDGET, type InstructionPacket, packetInput } from "./packets.js";
export { PROMOTION_THRESHOLDS } from "./promotion.js";
export type { Handoff } from "./revocation.js";

/** Execution lock (agent:{id}:exec) TTL; every transition refreshes it. */
export const EXEC_LOCK_TTL_MS = 10 * 60_000;
const HEARTBEAT_TTL_MS = 60_000;
/** Refusals that are not the agent's fault and so are not charged to its budget. */
const NOT_CHARGED = new Set(["CONFLICT", "UNAVAILABLE", "REVOKED", "EXPIRED", "UNAUTHENTICATED"]);

export interface GovernanceDeps {
  state: StateStore;
  ledger: Ledger;
  authority: Authority;
  clock: Clock;
  ids: Ids;
}

export type Governance = ReturnType<typeof createGovernance>;

export function createGovernance(deps: GovernanceDeps) {
  const { state, ledger, authority, clock, ids } = deps;
  const revoker = createRevoker(deps);
  const packetOf = async (agentId: string) =>
    (await state.agents.getPacket(agentId)) as InstructionPacket | null;

  async function revoke(req: RevokeRequest): Promise<Handoff | null> {
    return revoker(req);
  }

  /** Counts an error against the agent's budget and revokes when a trigger is reached. */
  async function charge(caller: Caller, errorType: string, procedure: boolean, tool?: string) {
    const packet = await packetOf(caller.agent_id);
    if (!packet) return { counters: await state.errors.get(caller.agent_id), revoked: false };
    const counters = await state.errors.record(caller.agent_id, errorType, procedure);
    const trigger = budgetTrigger(counters, packet.error_budget, errorType);
    if (trigger) {
      await revoke({
        agent_id: caller.agent_id,
        tier: caller.tier,
        ...trigger,
        revoked_by: "governance",
        ...(tool ? { tool } : {}),
      });
    }
    return { counters, revoked: trigger !== null, ...(trigger ? { trigger } : {}) };
  }

  async function keepAlive(agentId: string, run: AgentRun): Promise<void> {
    await state.agents.heartbeat(agentId, HEARTBEAT_TTL_MS);
    if (!run.exec_lease) return;
    try {
      await state.locks.refresh(run.exec_lease.resource, run.exec_lease.lease_id, EXEC_LOCK_TTL_MS);
    } catch {
      const again = await state.locks.acquire(
        run.exec_lease.resource,
        `${agentId}#${run.run_id}`,
        EXEC_LOCK_TTL_MS,
      );
      if (!again.acquired)
        throw new AgovError(
          "CONFLICT",
          `execution lock of ${agentId} was lost to ${again.holder}; this run cannot continue`,
        );
      run.exec_lease = { resource: again.resource, lease_id: again.lease_id };
    }
  }

  async function bootstrap(
    caller: Caller,
    taskId: string | undefined,
    step: string,
    previous: AgentRun | null,
  ) {
    const agent = caller.agent_id;
    const revoked =
      ledger.revocations(agent).length > 0 ||
      (await state.revocations.recent(500)).some((r) => r.agent_id === agent);
    if (revoked)
      throw new AgovError(
        "DENIED",
        `AGENT_PREVIOUSLY_REVOKED: ${agent} was revoked before and cannot BOOTSTRAP again; read the task's handoff and continue under a new agent id`,
      );
    const packet = await packetOf(agent);
    if (!packet)
      throw new AgovError(
        "NOT_FOUND",
        `NO_INSTRUCTION_PACKET: no instruction packet for ${agent}; a T3 executor creates one with packet_create`,
      );
    if (taskId && taskId !== packet.task_id)
      throw new AgovError(
        "INVALID_INPUT",
        `task_id: ${agent}'s packet is for task ${packet.task_id}, not ${taskId}`,
      );
    const lapsed = previous && !previous.revoked && previous.phase !== "EXIT";
    if (previous?.packet_at === packet.created_at && !lapsed)
      throw new AgovError(
        "NOT_FOUND",
        `NO_INSTRUCTION_PACKET: ${agent}'s packet for task ${packet.task_id} was used by run ${previous.run_id}; each run needs a new packet`,
      );
    const runId = ids.next();
    const lock = await state.locks.acquire(
      `agent:${agent}:exec`,
      `${agent}#${runId}`,
      EXEC_LOCK_TTL_MS,
    );
    if (!lock.acquired)
      throw new AgovError(
        "CONFLICT",
        `CANNOT_ACQUIRE_LOCK: ${agent}'s execution lock is held by ${lock.holder} (another run of this agent) until ${new Date(lock.expires_at).toISOString()}`,
      );
    // A run that died (its lock lapsed) is on the record as not compliant before the next starts.
    if (lapsed) ledger.recordRun(agent, caller.tier, false);
    await state.errors.reset(agent);
    const now = clock.now();
    const run: AgentRun = {
      run_id: runId,
      task_id: packet.task_id,
      phase: "BOOTSTRAP",
      step,
      started_at: now,
      updated_at: now,
      exec_lease: { resource: lock.resource, lease_id: lock.lease_id },
      revoked: false,
      packet_at: packet.created_at,
    };
    await state.agents.heartbeat(agent, HEARTBEAT_TTL_MS);
    await state.tasks.setActiveAgent(packet.task_id, agent);
    await state.agents.clearNotes(agent);
    await noteTried(state, agent, `BOOTSTRAP: ${step}`);
    await putRun(state, agent, run);
    await updateRoster(state, packet.task_id, agent, { phase: "BOOTSTRAP", step, at: now });
    return { run, packet };
  }

  async function transition(
    caller: Caller,
    input: { phase: Phase; step?: string | undefined; task_id?: string | undefined },
  ) {
    const agent = caller.agent_id;
    const step = input.step ?? input.phase.toLowerCase();
    const current = await getRun(state, agent);
    let from = current && !current.revoked ? current.phase : null;
    if (input.phase === "BOOTSTRAP" && from !== null && from !== "EXIT") {
      // A run in progress: another session of this agent holds it, unless its lock has lapsed
      // (the run died), in which case a new run may start.
      const lease = current?.exec_lease
        ? await state.locks.status(current.exec_lease.resource)
        : null;
      if (lease)
        throw new AgovError(
          "CONFLICT",
          `CANNOT_ACQUIRE_LOCK: ${agent} already has a run in ${from} holding its execution lock until ${new Date(lease.expires_at).toISOString()}`,
        );
      from = null;
    }
    const problem = transitionProblem(from, input.phase);
    if (problem) throw new AgovError("PROCEDURE_VIOLATION", problem, { phase: from });
    if (input.phase === "BOOTSTRAP") {
      const { run, packet } = await bootstrap(caller, input.task_id, step, current);
      return { phase: run.phase, step, task_id: run.task_id, run_id: run.run_id, packet };
    }
    const run = current!;
    const packet = (await packetOf(agent))!;
    if (input.phase === "EXECUTE" && !(await state.checkpoints.load(planMark(agent), run.run_id)))
      throw new AgovError(
        "PROCEDURE_VIOLATION",
        "PLAN → EXECUTE without a plan artifact: record one with artifact_record (kind plan) first",
      );
    if (input.phase === "VERIFY") {
      const have = await state.tasks.artifacts(run.task_id);
      const missing = packet.deliverables.filter((d) => !have.includes(d));
      if (missing.length > 0) {
        const details = `required artifact(s) missing after EXECUTE: ${missing.join(", ")}`;
        await revoke({
          agent_id: agent,
          tier: caller.tier,
          reason: "MISSING_ARTIFACT",
          details,
          revoked_by: "governance",
          tool: "phase_transition",
        });
        throw new AgovError("REVOKED", `${agent} revoked: ${details}`);
      }
    }
    await keepAlive(agent, run);
    const counters = await state.errors.get(agent);
    const trigger = budgetTrigger(counters, packet.error_budget);
    if (trigger) {
      await revoke({
        agent_id: agent,
        tier: caller.tier,
        ...trigger,
        revoked_by: "governance",
        tool: "phase_transition",
      });
      throw new AgovError("REVOKED", `${agent} revoked: ${trigger.details}`);
    }
    const now = clock.now();
    run.phase = input.phase;
    run.step = step;
    run.updated_at = now;
    await noteTried(state, agent, `${input.phase}: ${step}`);
    let exit: Record<string, unknown> = {};
    if (input.phase === "EXIT") {
      const released = await state.locks.releaseAll(agent);
      if (run.exec_lease)
        await state.locks.release(run.exec_lease.resource, run.exec_lease.lease_id).catch(() => {});
      run.exec_lease = null;
      // A run counts toward promotion only when it was clean and its packet came from another agent.
      const compliant =
        counters.total_errors === 0 &&
        counters.procedure_violations === 0 &&
        packet.created_for !== agent;
      const metrics = ledger.recordRun(agent, caller.tier, compliant);
      exit = { released_locks: released, compliant, metrics };
    }
    // A revocation that landed while this transition ran wins: its mark is not overwritten.
    if ((await getRun(state, agent))?.revoked)
      throw new AgovError("REVOKED", `${agent} was revoked during this transition`);
    await putRun(state, agent, run);
    await updateRoster(state, run.task_id, agent, { phase: input.phase, step, at: now });
    return { phase: run.phase, step, task_id: run.task_id, run_id: run.run_id, ...exit };
  }

  /** The lifecycle gate every governed call passes (installed as a gateway hook). */
  async function gate(caller: Caller, tool: GatedTool): Promise<void> {
    const packet = await packetOf(caller.agent_id);
    if (!packet) return;
    if (packet.constraints.forbidden.includes(tool.name))
      throw new AgovError(
        "FORBIDDEN_ACTION",
        `${tool.name} is forbidden by ${caller.agent_id}'s instruction packet`,
      );
    const run = await getRun(state, caller.agent_id);
    const phase = run && !run.revoked && run.phase !== "EXIT" ? run.phase : null;
    const problem = phaseProblem(tool, phase);
    if (problem) throw new AgovError("PROCEDURE_VIOLATION", problem, { phase });
    if (run && phase && !tool.readOnly && tool.phases !== "any") {
      await noteTried(state, caller.agent_id, `${phase}: ${tool.name}`);
    }
  }

  /** Charges a refused or failed call (installed as a gateway hook). */
  async function failed(caller: Caller, tool: string, err: AgovError): Promise<void> {
    if (NOT_CHARGED.has(err.code)) return;
    const run = await getRun(state, caller.agent_id);
    if (run?.revoked) return;
    if (run && run.phase !== "EXIT") {
      await noteTried(
        state,
        caller.agent_id,
        `${run.phase}: ${tool} refused (${err.code}): ${err.message.slice(0, 200)}`,
      );
    }
    const packet = await packetOf(caller.agent_id);
    // A forbidden tool is a forbidden action even when the call fails earlier (not granted, bad input).
    if (err.code === "FORBIDDEN_ACTION" || packet?.constraints.forbidden.includes(tool)) {
      if (!packet) return;
      await state.errors.record(caller.agent_id, "FORBIDDEN_ACTION", false);
      await revoke({
        agent_id: caller.agent_id,
        tier: caller.tier,
        reason: "FORBIDDEN_ACTION",
        details:
          err.code === "FORBIDDEN_ACTION"
            ? err.message
            : `${tool} is forbidden by ${caller.agent_id}'s instruction packet (the call was also refused: ${err.code})`,
        revoked_by: "governance",
        tool,
      });
      return;
    }
    const procedure = err.code === "PROCEDURE_VIOLATION";
    await charge(caller, procedure ? err.code : `${err.code}:${tool}`, procedure, tool);
  }

  return {
    async createPacket(caller: Caller, input: unknown): Promise<InstructionPacket> {
      const parsed = packetInput.parse(input);
      if (parsed.agent_id === caller.agent_id)
        throw new AgovError(
          "DENIED",
          "agent_id: an agent cannot write its own instruction packet; another T3 executor must",
        );
      const run = await getRun(state, parsed.agent_id);
      if (run && !run.revoked && run.phase !== "EXIT" && run.exec_lease) {
        const live = await state.locks.status(run.exec_lease.resource);
        if (live)
          throw new AgovError(
            "CONFLICT",
            `agent_id: ${parsed.agent_id} has a run in ${run.phase} on task ${run.task_id}; its packet cannot change until the run ends`,
          );
      }
      const packet: InstructionPacket = {
        ...parsed,
        created_for: caller.agent_id,
        created_at: new Date(clock.now()).toISOString(),
      };
      await state.agents.putPacket(parsed.agent_id, packet as unknown as Record<string, unknown>);
      return packet;
    },
    getPacket: packetOf,
    getRun: (agentId: string) => getRun(state, agentId),
    transition,
    async recordArtifact(
      caller: Caller,
      input: { name: string; kind: string; content: unknown; task_id?: string | undefined },
    ) {
      const run = await getRun(state, caller.agent_id);
      const packet = await packetOf(caller.agent_id);
      const own = run && !run.revoked && run.phase !== "EXIT" ? run.task_id : packet?.task_id;
      const taskId = input.task_id ?? own;
      if (!taskId)
        throw new AgovError("INVALID_INPUT", "task_id: required when you have no run in progress");
      // Agents under a packet record artifacts for their own task only.
      if (packet && taskId !== own)
        throw new AgovError(
          "DENIED",
          `task_id: ${caller.agent_id} works on task ${own}; it cannot record artifacts for ${taskId}`,
        );
      const saved = await state.checkpoints.save(`artifact:${taskId}`, input.name, {
        kind: input.kind,
        content: input.content,
        author: caller.agent_id,
      });
      const existing = await state.tasks.artifacts(taskId);
      if (!existing.includes(input.name)) await state.tasks.addArtifact(taskId, input.name);
      if (run && !run.revoked && run.task_id === taskId && input.kind === "plan") {
        await state.checkpoints.save(planMark(caller.agent_id), run.run_id, { name: input.name });
        await noteTried(
          state,
          caller.agent_id,
          `${run.phase}: recorded plan artifact ${input.name}`,
        );
      }
      return { task_id: taskId, name: input.name, kind: input.kind, saved_at: saved.saved_at };
    },
    async reportError(
      caller: Caller,
      input: { error_type: string; message: string; recovered?: boolean | undefined },
    ) {
      const run = await getRun(state, caller.agent_id);
      const what = `${input.recovered ? "recovered from" : "reported"} ${input.error_type}`;
      if (run && !run.revoked) {
        await noteTried(
          state,
          caller.agent_id,
          `${run.phase}: ${what}: ${input.message.slice(0, 200)}`,
        );
      }
      // The error itself goes on the record (the call's own row only holds a digest of it).
      ledger.append(
        {
          agent_id: caller.agent_id,
          tier: caller.tier,
          action: `error_report: ${what}`,
          decision: "allow",
          tool: "error_report",
        },
        { success: false, error_type: input.error_type, error_message: input.message },
      );
      const packet = await packetOf(caller.agent_id);
      // A recovered error (a retry that then worked) is on the record but not charged.
      const counted =
        packet && !input.recovered
          ? await charge(caller, input.error_type, false, "error_report")
          : { counters: await state.errors.get(caller.agent_id), revoked: false };
      return {
        ...counted,
        charged: !!packet && !input.recovered,
        budget: packet?.error_budget ?? null,
      };
    },
    revoke,
    async handoff(taskId: string) {
      return (await state.tasks.getHandoff(taskId)) as Handoff | null;
    },
    async requestPromotion(caller: Caller) {
      const metrics = ledger.metrics(caller.agent_id);
      const d = evaluatePromotion(caller.tier, metrics);
      ledger.recordPromotion({
        agent_id: caller.agent_id,
        from_tier: caller.tier,
        to_tier: d.to_tier,
        decision: d.decision,
        reason: d.reason,
      });
      if (d.decision === "granted") await changeTier(caller.agent_id, d.to_tier as Tier);
      return { ...d, from_tier: caller.tier, metrics };
    },
    async approvePromotion(approver: Caller, agentId: string) {
      if (agentId === approver.agent_id)
        throw new AgovError("DENIED", "an architect cannot approve its own promotion");
      if (ledger.revocations(agentId).length > 0)
        throw new AgovError("DENIED", `${agentId} was revoked; a revoked agent cannot be promoted`);
      const latest = ledger.promotions(agentId).at(-1);
      const last = latest?.decision === "pending" ? latest : undefined;
      if (!last)
        throw new AgovError(
          "NOT_FOUND",
          `no pending promotion for ${agentId}: it asks with promotion_request at T3 first`,
        );
      const reason = `approved by ${approver.agent_id}`;
      ledger.recordPromotion({
        agent_id: agentId,
        from_tier: last.from_tier,
        to_tier: last.to_tier,
        decision: "granted",
        reason,
        approved_by: approver.agent_id,
      });
      await changeTier(agentId, last.to_tier as Tier);
      return {
        agent_id: agentId,
        from_tier: last.from_tier,
        to_tier: last.to_tier,
        decision: "granted",
        reason,
      };
    },
    hooks: { gate, failed },
  };

  async function changeTier(agentId: string, tier: Tier): Promise<void> {
    await authority.setTier(agentId, tier);
    ledger.setMetricsTier(agentId, tier);
    await state.events.publish({ type: "tier_changed", agent_id: agentId, tier });
  }
}
