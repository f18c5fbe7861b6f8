// Promotion: the decision on the record (granted, refused with the shortfall, pending for T4), and
// a granted one changes the tier through the authority and tells the agent's sessions at once.
import type { Caller, Tier } from "../authority/index.js";
import type { PromotionDetail } from "../ledger/index.js";
import { AgovError } from "../util/errors.js";
import type { GovernanceContext } from "./context.js";
import { evaluatePromotion } from "./promotion.js";

export function createPromotions(ctx: GovernanceContext) {
  const { state, ledger, authority } = ctx.deps;
  return {
    async requestPromotion(caller: Caller) {
      const metrics = await ledger.metrics(caller.agent_id);
      const d = evaluatePromotion(caller.tier, metrics);
      await recordPromotion(caller.agent_id, {
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
      if ((await ledger.revocations(agentId)).length > 0)
        throw new AgovError("DENIED", `${agentId} was revoked; a revoked agent cannot be promoted`);
      const latest = (await ledger.promotions(agentId)).at(-1);
      const last = latest?.decision === "pending" ? latest : undefined;
      if (!last)
        throw new AgovError(
          "NOT_FOUND",
          `no pending promotion for ${agentId}: it asks with promotion_request at T3 first`,
        );
      const reason = `approved by ${approver.agent_id}`;
      await recordPromotion(agentId, {
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
  };

  async function recordPromotion(agentId: string, d: PromotionDetail): Promise<void> {
    await ledger.record(
      {
        kind: "promotion",
        agent_id: agentId,
        tier: d.from_tier,
        action: `promotion T${d.from_tier} → T${d.to_tier} ${d.decision}`,
        decision: d.decision === "refused" ? "deny" : "allow",
        detail: d,
      },
      { success: true },
    );
  }

  async function changeTier(agentId: string, tier: Tier): Promise<void> {
    await authority.setTier(agentId, tier);
    await ledger.record(
      {
        kind: "tier",
        agent_id: agentId,
        tier,
        action: `tier set to T${tier} by promotion`,
        decision: "allow",
        detail: { tier, by: "promotion" },
      },
      { success: true },
    );
    await state.events.publish({ type: "tier_changed", agent_id: agentId, tier });
  }
}
