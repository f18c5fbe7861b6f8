// Writing instruction packets. A packet governs its agent, so a caller may write one only for an
// agent it may govern: one whose tier (its highest live token, or with Vault its role) is below
// the caller's. An agent with no token yet may be given one; the packet records its writer's
// tier, and BOOTSTRAP refuses it unless that tier is above the agent's own (see transitions.ts).
import type { Caller } from "../authority/index.js";
import { AgovError } from "../util/errors.js";
import type { GovernanceContext } from "./context.js";
import { ENGINE, type InstructionPacket, packetInput } from "./packets.js";
import { getRun } from "./runs.js";

export function createPacketWriter(ctx: GovernanceContext) {
  const { state, authority, clock } = ctx.deps;

  async function write(
    by: string,
    creatorTier: InstructionPacket["creator_tier"],
    input: unknown,
    check?: (agentId: string) => Promise<void>,
  ): Promise<InstructionPacket> {
    const parsed = packetInput.parse(input);
    if (parsed.agent_id === by)
      throw new AgovError(
        "DENIED",
        "agent_id: an agent cannot write its own instruction packet; an executor above its tier must",
      );
    await check?.(parsed.agent_id);
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
      created_for: by,
      created_at: new Date(clock.now()).toISOString(),
      creator_tier: creatorTier,
    };
    await state.agents.putPacket(parsed.agent_id, packet as unknown as Record<string, unknown>);
    ctx.forgetPacket(parsed.agent_id);
    return packet;
  }

  return {
    /** packet_create: only for an agent below the caller's tier (or with no token yet). */
    createPacket(caller: Caller, input: unknown): Promise<InstructionPacket> {
      return write(caller.agent_id, caller.tier, input, async (agentId) => {
        const target = await authority.tierOf(agentId);
        if (target !== null && target >= caller.tier)
          throw new AgovError(
            "DENIED",
            `agent_id: ${agentId} is T${target}; ${caller.agent_id} is T${caller.tier} and may give packets only to agents below its own tier`,
            { tier: caller.tier, target_tier: target },
          );
      });
    },
    /**
     * A pipeline stage's packet, written by agov for the run: for the agent it creates for the
     * stage, or for the assignee that took the stage itself with stage_run (the run already
     * checked that the stage's tier is within its starter's and the assignee's).
     */
    createStagePacket(runId: string, input: unknown): Promise<InstructionPacket> {
      return write(`pipeline:${runId}`, ENGINE, input);
    },
  };
}
