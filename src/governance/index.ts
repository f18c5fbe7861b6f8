// The governance engine: instruction packets, the lifecycle, error budgets, revocation, handoffs
// and promotion — enforced by the server on every governed call, not trusted to the agents.
import type { Caller } from "../authority/index.js";
import { AgovError } from "../util/errors.js";
import type { GovernanceContext, GovernanceDeps } from "./context.js";
import { createCallHooks } from "./hooks.js";
import { type InstructionPacket, packetInput } from "./packets.js";
import { createPromotions } from "./promote.js";
import { createRevoker, type Handoff } from "./revocation.js";
import { getRun, noteTried, planMark } from "./runs.js";
import { createTransitions } from "./transitions.js";

export type { GovernanceDeps } from "./context.js";
export { PHASES, type Phase } from "./lifecycle.js";
export { DEFAULT_BUDGET, type InstructionPacket, packetInput } from "./packets.js";
export { PROMOTION_THRESHOLDS } from "./promotion.js";
export type { Handoff } from "./revocation.js";
export { EXEC_LOCK_TTL_MS, TASK_EXITS } from "./transitions.js";

export type Governance = ReturnType<typeof createGovernance>;

export function createGovernance(deps: GovernanceDeps) {
  const { state, ledger, clock } = deps;
  const ctx: GovernanceContext = {
    deps,
    packetOf: async (agentId) =>
      (await state.agents.getPacket(agentId)) as InstructionPacket | null,
    revoke: createRevoker(deps),
  };
  const { packetOf, revoke } = ctx;
  const { charge, gate, failed } = createCallHooks(ctx);
  const { transition } = createTransitions(ctx);
  const promotions = createPromotions(ctx);

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
      // A caller without a packet may not write into a task another agent is working on.
      if (!packet) {
        const active = await state.tasks.getActiveAgent(taskId);
        if (active && active !== caller.agent_id)
          throw new AgovError(
            "DENIED",
            `task_id: task ${taskId} belongs to ${active}'s run; artifacts are recorded by the agents working it`,
          );
      }
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
      await ledger.record(
        {
          kind: "error_report",
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
          ? await charge(caller, input.error_type, false, "error_report", packet)
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
    ...promotions,
    hooks: { gate, failed },
  };
}
