// The governance engine's hooks on the governed call path: the lifecycle gate before every call
// (phase, forbidden tools) and the error budget after every refused or failed one. Both apply only
// while the agent is held to a run (BOOTSTRAP on its packet until EXIT or revocation): a packet
// that was merely given to an agent changes nothing about its calls.
import type { Caller } from "../authority/index.js";
import { AgovError } from "../util/errors.js";
import { budgetTrigger } from "./budget.js";
import type { GovernanceContext } from "./context.js";
import { type GatedTool, phaseProblem } from "./lifecycle.js";
import type { InstructionPacket } from "./packets.js";
import { getRun, noteTried } from "./runs.js";

/** Refusals that are not the agent's fault and so are not charged to its budget. */
const NOT_CHARGED = new Set(["CONFLICT", "UNAVAILABLE", "REVOKED", "EXPIRED", "UNAUTHENTICATED"]);

export function createCallHooks(ctx: GovernanceContext) {
  const { state } = ctx.deps;
  const { heldPacket, governed, revoke } = ctx;

  /**
   * Counts an error against the budget of the run the agent is held to, and revokes when a
   * trigger is reached. Outside such a run nothing is charged. `packet`: the held run's, if known.
   */
  async function charge(
    caller: Caller,
    errorType: string,
    procedure: boolean,
    tool?: string,
    packet?: InstructionPacket,
  ) {
    const budget = packet ?? (await governed(caller.agent_id))?.packet;
    if (!budget) return { counters: await state.errors.get(caller.agent_id), revoked: false };
    const counters = await state.errors.record(caller.agent_id, errorType, procedure);
    const trigger = budgetTrigger(counters, budget.error_budget, errorType);
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

  /** The lifecycle gate every governed call passes (installed as a gateway hook). */
  async function gate(caller: Caller, tool: GatedTool): Promise<void> {
    // Callers not held to a run (most people's clients) cost one read here, and so do agents
    // under a run once its packet is cached.
    const run = await getRun(state, caller.agent_id);
    if (!run?.packet_at) return;
    const packet = await heldPacket(caller.agent_id, run.packet_at);
    if (!packet) return;
    // Between the run's mark and its tokens' end, the agent is refused outright.
    if (run.revoked && !run.revocation_done)
      throw new AgovError("REVOKED", `${caller.agent_id} is being revoked; its calls are refused`);
    if (run.revoked || run.phase === "EXIT") return;
    if (packet.constraints.forbidden.includes(tool.name))
      throw new AgovError(
        "FORBIDDEN_ACTION",
        `${tool.name} is forbidden by ${caller.agent_id}'s instruction packet`,
      );
    const problem = phaseProblem(tool, run.phase);
    if (problem) throw new AgovError("PROCEDURE_VIOLATION", problem, { phase: run.phase });
    if (!tool.readOnly && tool.phases !== "any") {
      await noteTried(state, caller.agent_id, `${run.phase}: ${tool.name}`);
    }
  }

  /** Charges a refused or failed call (installed as a gateway hook). */
  async function failed(caller: Caller, tool: string, err: AgovError): Promise<void> {
    if (NOT_CHARGED.has(err.code)) return;
    // Budgets govern runs; a caller outside one is bound by its tier only.
    const held = await governed(caller.agent_id);
    if (!held) return;
    const { packet, run } = held;
    await noteTried(
      state,
      caller.agent_id,
      `${run.phase}: ${tool} refused (${err.code}): ${err.message.slice(0, 200)}`,
    );
    // A forbidden tool is a forbidden action even when the call fails earlier (not granted, bad input).
    if (err.code === "FORBIDDEN_ACTION" || packet.constraints.forbidden.includes(tool)) {
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
    await charge(caller, procedure ? err.code : `${err.code}:${tool}`, procedure, tool, packet);
  }

  return { charge, gate, failed };
}
