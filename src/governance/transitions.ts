// Lifecycle transitions: BOOTSTRAP's checks, one phase at a time, the plan and deliverable gates,
// and EXIT. Each transition is a heartbeat, refreshes the execution lock and checks the budget.

import type { Caller } from "../authority/index.js";
import { HEARTBEAT_TTL_MS } from "../coordination/index.js";
import { AgovError } from "../util/errors.js";
import { authoredArtifacts, authorsFor } from "./artifacts.js";
import { budgetTrigger } from "./budget.js";
import type { GovernanceContext } from "./context.js";
import { type Phase, transitionProblem } from "./lifecycle.js";
import { ENGINE, type InstructionPacket } from "./packets.js";
import type { Handoff } from "./revocation.js";
import { type AgentRun, getRun, noteTried, putRun, updateRoster } from "./runs.js";

/** Checkpoint scope of the record of agents that reached EXIT on a task. */

/** Execution lock (agent:{id}:exec) TTL; every transition refreshes it. */
export const EXEC_LOCK_TTL_MS = 10 * 60_000;

export function createTransitions(ctx: GovernanceContext) {
  const { state, ledger, authority, clock, ids } = ctx.deps;
  const { packetOf, revoke } = ctx;

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

  /** Refuses a packet whose writer could not govern this agent: its tier must be above the agent's. */
  async function checkCreator(caller: Caller, packet: InstructionPacket): Promise<void> {
    const by = packet.creator_tier;
    if (by === ENGINE) return;
    // The caller's tier is certain; the authority may know a higher one (another live token, a
    // Vault role). If it cannot tell (credentials that may not list tokens), the caller's stands.
    const known = await authority.tierOf(caller.agent_id).catch(() => null);
    const own = Math.max(caller.tier, known ?? 0);
    if (by === undefined || by <= own)
      throw new AgovError(
        "DENIED",
        `${caller.agent_id}'s packet was written by ${packet.created_for}${by === undefined ? " before agov recorded a writer's tier" : ` at T${by}`}; ${caller.agent_id} is T${own}, and only a writer above its tier may govern it: ask for a packet from one`,
        {
          reason: "PACKET_CREATOR_TIER",
          tier: own,
          ...(by === undefined ? {} : { creator_tier: by }),
        },
      );
  }

  /**
   * The revoked agents a new run on `taskId` continues from: the one the task's handoff names
   * (if its run was on this task), and those that one continued from.
   */
  async function predecessors(agent: string, taskId: string): Promise<string[]> {
    const handoff = (await state.tasks.getHandoff(taskId)) as Handoff | null;
    const prev = handoff?.previous_agent_id;
    if (!prev || prev === agent) return [];
    const run = await getRun(state, prev);
    if (!run?.revoked || run.task_id !== taskId) return [];
    return [...new Set([prev, ...(run.continues_from ?? [])])].filter((a) => a !== agent);
  }

  async function bootstrap(
    caller: Caller,
    taskId: string | undefined,
    step: string,
    previous: AgentRun | null,
  ) {
    const agent = caller.agent_id;
    const revoked =
      (await ledger.revocations(agent)).length > 0 ||
      (await state.revocations.recent(500)).some((r) => r.agent_id === agent);
    if (revoked)
      throw new AgovError(
        "DENIED",
        `${agent} was revoked before and cannot BOOTSTRAP again; read the task's handoff and continue under a new agent id`,
        { reason: "AGENT_PREVIOUSLY_REVOKED" },
      );
    const packet = await packetOf(agent);
    if (!packet)
      throw new AgovError(
        "NOT_FOUND",
        `no instruction packet for ${agent}; a T3 executor creates one with packet_create`,
        { reason: "NO_INSTRUCTION_PACKET" },
      );
    if (taskId && taskId !== packet.task_id)
      throw new AgovError(
        "INVALID_INPUT",
        `task_id: ${agent}'s packet is for task ${packet.task_id}, not ${taskId}`,
      );
    await checkCreator(caller, packet);
    const lapsed = previous && !previous.revoked && previous.phase !== "EXIT";
    if (previous?.packet_at === packet.created_at && !lapsed)
      throw new AgovError(
        "NOT_FOUND",
        `${agent}'s packet for task ${packet.task_id} was used by run ${previous.run_id}; each run needs a new packet`,
        { reason: "NO_INSTRUCTION_PACKET" },
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
        `${agent}'s execution lock is held by ${lock.holder} (another run of this agent) until ${new Date(lock.expires_at).toISOString()}`,
        { reason: "CANNOT_ACQUIRE_LOCK" },
      );
    // A run that died (its lock lapsed) is on the record as not compliant before the next starts.
    if (lapsed)
      await ledger.record(
        {
          kind: "run",
          agent_id: agent,
          tier: caller.tier,
          action: "run ended: its execution lock lapsed",
          decision: "deny",
          detail: { compliant: false, task_id: previous.task_id, run_id: previous.run_id },
        },
        { success: true },
      );
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
      continues_from: await predecessors(agent, packet.task_id),
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
    const packet = await packetOf(agent);
    // A run belongs to the packet it started on: once that packet is replaced (the run's lock had
    // lapsed), the run is over and the next transition must be a BOOTSTRAP on the new one.
    let from =
      current && !current.revoked && packet && current.packet_at === packet.created_at
        ? current.phase
        : null;
    if (input.phase === "BOOTSTRAP" && from !== null && from !== "EXIT") {
      // A run in progress: another session of this agent holds it, unless its lock has lapsed
      // (the run died), in which case a new run may start.
      const lease = current?.exec_lease
        ? await state.locks.status(current.exec_lease.resource)
        : null;
      if (lease)
        throw new AgovError(
          "CONFLICT",
          `${agent} already has a run in ${from} holding its execution lock until ${new Date(lease.expires_at).toISOString()}`,
          { reason: "CANNOT_ACQUIRE_LOCK" },
        );
      from = null;
    }
    const problem = transitionProblem(from, input.phase);
    if (problem) throw new AgovError("PROCEDURE_VIOLATION", problem, { phase: from });
    if (input.phase === "BOOTSTRAP") {
      const started = await bootstrap(caller, input.task_id, step, current);
      const { run_id, task_id } = started.run;
      return { phase: started.run.phase, step, task_id, run_id, packet: started.packet };
    }
    const run = current!;
    if (!packet) throw new AgovError("NOT_FOUND", `no instruction packet for ${agent}`);
    if (input.phase === "EXECUTE" && !(await state.plans.get(agent, run.run_id)))
      throw new AgovError(
        "PROCEDURE_VIOLATION",
        "PLAN → EXECUTE without a plan artifact: record one with artifact_record (kind plan) first",
      );
    if (input.phase === "VERIFY") {
      // Only the run's own work counts: deliverables recorded by the agent, or by the revoked
      // agents it continues from; never one an outsider or a co-worker wrote under the same name.
      const authors = authorsFor(agent, run, run.task_id);
      const have = await authoredArtifacts(state, run.task_id, packet.deliverables, authors);
      const missing = packet.deliverables.filter((d) => !have.includes(d));
      if (missing.length > 0) {
        const listed = await state.tasks.artifacts(run.task_id);
        const foreign = missing.filter((d) => listed.includes(d));
        const details = `required artifact(s) missing after EXECUTE: ${missing.join(", ")}${foreign.length > 0 ? ` (${foreign.join(", ")} recorded by another agent, which does not count)` : ""}`;
        await revoke({
          agent_id: agent,
          tier: caller.tier,
          reason: "MISSING_ARTIFACT",
          details,
          revoked_by: "governance",
          tool: "phase_transition",
        });
        throw new AgovError("REVOKED", `${agent} revoked: ${details}`, {
          reason: "MISSING_ARTIFACT",
        });
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
      throw new AgovError("REVOKED", `${agent} revoked: ${trigger.details}`, {
        reason: trigger.reason,
      });
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
      await ledger.record(
        {
          kind: "run",
          agent_id: agent,
          tier: caller.tier,
          action: `run ended: ${compliant ? "compliant" : "not compliant"}`,
          decision: "allow",
          detail: { compliant, task_id: run.task_id, run_id: run.run_id },
        },
        { success: true },
      );
      const metrics = await ledger.metrics(agent);
      // Who finished which task stays readable after the agent's next run replaces this one.
      await state.exits.mark(run.task_id, agent, {
        run_id: run.run_id,
        started_at: run.started_at,
        at: now,
      });
      exit = { released_locks: released, compliant, metrics };
    }
    // A revocation that landed while this transition ran wins: its mark is not overwritten.
    if ((await getRun(state, agent))?.revoked)
      throw new AgovError("REVOKED", `${agent} was revoked during this transition`);
    await putRun(state, agent, run);
    await updateRoster(state, run.task_id, agent, { phase: input.phase, step, at: now });
    return { phase: run.phase, step, task_id: run.task_id, run_id: run.run_id, ...exit };
  }

  return { transition };
}
