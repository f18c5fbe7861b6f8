// Who a Vault token is to agov: the agent is the AppRole `role_name` Vault writes into the token's
// metadata (or the `agent_id` agov puts there when it creates a token); the tier is the highest
// tN-… policy on it. Also turns Vault's one-size 403 into UNAUTHENTICATED, REVOKED or EXPIRED.
import { z } from "zod";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { type Caller, type Tier, tierPolicyName } from "./index.js";

/** The fields of `auth/token/lookup-self` (and `lookup-accessor`) agov reads. */
export const tokenData = z.looseObject({
  accessor: z.string(),
  policies: z.array(z.string()).nullish(),
  identity_policies: z.array(z.string()).nullish(),
  meta: z.record(z.string(), z.string()).nullish(),
  creation_time: z.number(),
  ttl: z.number(),
});
export type TokenData = z.infer<typeof tokenData>;

const TIER_OF = new Map<string, Tier>(
  ([0, 1, 2, 3, 4] as const).map((t) => [tierPolicyName(t), t] as const),
);
/** Latest instant a Date can hold: the expiry of a token Vault gives no TTL (root). */
const NEVER = 8.64e15;

export function agentOf(data: TokenData): string | undefined {
  return data.meta?.role_name || data.meta?.agent_id || undefined;
}

export function tierOf(policies: readonly string[]): Tier | undefined {
  let best: Tier | undefined;
  for (const p of policies) {
    const t = TIER_OF.get(p);
    if (t !== undefined && (best === undefined || t > best)) best = t;
  }
  return best;
}

export function allPolicies(data: TokenData): string[] {
  return [...new Set([...(data.policies ?? []), ...(data.identity_policies ?? [])])].sort();
}

/** A token's caller, or undefined when it names no agent or holds no tier policy. */
export function callerOf(data: TokenData, now: number): Caller | undefined {
  const agent_id = agentOf(data);
  const policies = allPolicies(data);
  const tier = tierOf(policies);
  if (!agent_id || tier === undefined) return undefined;
  return {
    agent_id,
    tier,
    token_id: data.accessor,
    policies,
    issued_at: data.creation_time * 1000,
    // Vault's `ttl` is what is left, so the expiry is measured on our clock, not Vault's.
    expires_at: data.ttl > 0 ? now + data.ttl * 1000 : NEVER,
  };
}

export function parseTokenData(body: Record<string, unknown>, what: string): TokenData {
  const parsed = tokenData.safeParse(body.data);
  if (!parsed.success)
    throw new AgovError("INTERNAL", `Vault answered ${what} in an unexpected shape`);
  return parsed.data;
}

interface Seen {
  agent_id: string;
  tier: Tier;
  accessor: string;
  expires_at: number;
}

/**
 * Vault answers 403 alike for unknown, revoked and expired tokens. Tokens this process has resolved
 * are remembered (by hash, bounded) so that a later 403 can say which of the three it was.
 */
export function createTokenMemory(clock: Clock, limit = 10_000) {
  const seen = new Map<string, Seen>();
  const revoked = new Set<string>();
  return {
    remember(key: string, caller: Caller): void {
      seen.delete(key);
      seen.set(key, {
        agent_id: caller.agent_id,
        tier: caller.tier,
        accessor: caller.token_id,
        expires_at: caller.expires_at,
      });
      if (seen.size > limit) seen.delete(seen.keys().next().value as string);
    },
    markRevoked(accessor: string): void {
      revoked.add(accessor);
      if (revoked.size > limit) revoked.delete(revoked.values().next().value as string);
    },
    /** The refusal for a token Vault no longer accepts. */
    refusal(key: string): AgovError {
      const s = seen.get(key);
      if (!s)
        return new AgovError(
          "UNAUTHENTICATED",
          "Vault does not accept this token (unknown, revoked or expired): log in again with the agent's AppRole, or issue one with `agov token issue`",
        );
      const details = { agent_id: s.agent_id, tier: s.tier };
      if (!revoked.has(s.accessor) && s.expires_at <= clock.now())
        return new AgovError(
          "EXPIRED",
          `token of agent ${s.agent_id} expired at ${new Date(s.expires_at).toISOString()}; log in again with its AppRole or issue a new one`,
          details,
        );
      return new AgovError(
        "REVOKED",
        `token of agent ${s.agent_id} (accessor ${s.accessor}) was revoked in Vault; it cannot be used again`,
        details,
      );
    },
  };
}
