// The governance engine: instruction packets, the lifecycle, error budgets, revocation, handoffs
// and promotion — enforced by the server on every governed call, not trusted to the agents.
import type { Caller } from "../authority/index.js";
import { createArtifacts } from "./artifacts.js";
import type { GovernanceContext, GovernanceDeps } from "./context.js";
import { createCallHooks } from "./hooks.js";
import { createPacketWriter } from "./packet-writer.js";
import type { InstructionPacket } from "./packets.js";
import { createPromotions } from "./promote.js";
import { createRevoker, type Handoff } from "./revocation.js";
import { getRun, heldRun, noteTried } from "./runs.js";
import { createTransitions } from "./transitions.js";

export type { GovernanceDeps } from "./context.js";
export { PHASES, type Phase } from "./lifecycle.js";
export { DEFAULT_BUDGET, type InstructionPacket, packetInput } from "./packets.js";
export { PROMOTION_THRESHOLDS } from "./promotion.js";
export type { Handoff, RevokeResult } from "./revocation.js";
export { EXEC_LOCK_TTL_MS } from "./transitions.js";

export type Governance = ReturnType<typeof createGovernance>;

export function createGovernance(deps: GovernanceDeps) {
  const { state, ledger } = deps;
  const packetOf = async (agentId: string) =>
    (await state.agents.getPacket(agentId)) as InstructionPacket | null;
  // The lifecycle gate reads the caller's run on every call, and its packet only once per run:
  // a packet cannot change while its run holds the execution lock (packet_create refuses), and a
  // packet written later has another created_at than the run's packet_at, so it is read then.
  const held = new Map<string, InstructionPacket>();
  const HELD_MAX = 10_000;
  const ctx: GovernanceContext = {
    deps,
    packetOf,
    async heldPacket(agentId, packetAt) {
      const cached = held.get(agentId);
      if (cached?.created_at === packetAt) return cached;
      const packet = await packetOf(agentId);
      if (!packet || packet.created_at !== packetAt) return null;
      if (held.size >= HELD_MAX) held.clear();
      held.set(agentId, packet);
      return packet;
    },
    forgetPacket: (agentId) => held.delete(agentId),
    async governed(agentId) {
      const run = await getRun(state, agentId);
      if (!run?.packet_at || run.revoked || run.phase === "EXIT") return null;
      const packet = await ctx.heldPacket(agentId, run.packet_at);
      return packet && heldRun(run, packet) ? { packet, run } : null;
    },
    revoke: createRevoker(deps),
  };
  const { revoke } = ctx;
  const { charge, gate, failed } = createCallHooks(ctx);
  const { transition } = createTransitions(ctx);

  return {
    ...createPacketWriter(ctx),
    getPacket: packetOf,
    getRun: (agentId: string) => getRun(state, agentId),
    transition,
    ...createArtifacts(ctx),
    async reportError(
      caller: Caller,
      input: {
        error_type: string;
        message: string;
        recovered?: boolean | undefined;
        dependency?: string | undefined;
      },
    ) {
      const held = await ctx.governed(caller.agent_id);
      const outage = input.dependency ? ` (${input.dependency} outage)` : "";
      const what = `${input.recovered ? "recovered from" : "reported"} ${input.error_type}${outage}`;
      if (held) {
        await noteTried(
          state,
          caller.agent_id,
          `${held.run.phase}: ${what}: ${input.message.slice(0, 200)}`,
        );
      }
      // Charged only within a run the agent is held to; a recovered error (a retry that then
      // worked) and a dependency's outage (never the agent's fault) are on the record, not charged.
      const charged = !!held && !input.recovered && !input.dependency;
      // The error itself goes on the record (the call's own row only holds a digest of it). Its
      // type is the agent's own word, so it is detail, not one of agov's error codes.
      await ledger.record(
        {
          kind: "error_report",
          agent_id: caller.agent_id,
          tier: caller.tier,
          action: `error_report: ${what}`,
          decision: "allow",
          tool: "error_report",
          detail: {
            error_type: input.error_type,
            recovered: input.recovered === true,
            ...(input.dependency ? { dependency: input.dependency } : {}),
            charged,
          },
        },
        { success: false, error_message: input.message },
      );
      const counted = charged
        ? await charge(caller, input.error_type, false, "error_report", held.packet)
        : { counters: await state.errors.get(caller.agent_id), revoked: false };
      return { ...counted, charged, budget: held?.packet.error_budget ?? null };
    },
    revoke,
    async handoff(taskId: string) {
      return (await state.tasks.getHandoff(taskId)) as Handoff | null;
    },
    ...createPromotions(ctx),
    hooks: { gate, failed },
  };
}
