// The Authority port: who is calling, at which tier, and which tools their policies grant.
// Adapters: `local` (embedded, tokens in SQLite, policies evaluated in-process) and `vault`.

export const TIER_NAMES = ["observer", "operator", "builder", "executor", "architect"] as const;
export type Tier = 0 | 1 | 2 | 3 | 4;

/** Token TTLs per tier, from the seed: T0 1h, T1 30m, T2 30m, T3 15m, T4 15m. */
export const TIER_TTL_MS: Record<Tier, number> = {
  0: 3_600_000,
  1: 1_800_000,
  2: 1_800_000,
  3: 900_000,
  4: 900_000,
};

export const tierPolicyName = (tier: number) => `t${tier}-${TIER_NAMES[tier]}`;

export function isTier(n: unknown): n is Tier {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 4;
}

/** A resolved caller. `token_id` identifies the token (an accessor), never the token itself. */
export interface Caller {
  agent_id: string;
  tier: Tier;
  token_id: string;
  policies: string[];
  issued_at: number;
  expires_at: number;
}

export interface IssuedToken {
  token: string;
  token_id: string;
  agent_id: string;
  tier: Tier;
  expires_at: number;
}

export interface TokenInfo {
  token_id: string;
  agent_id: string;
  tier: Tier;
  issued_at: number;
  expires_at: number;
  revoked: boolean;
}

export interface Authority {
  readonly kind: "local" | "vault";
  /**
   * Resolves a token to its caller. Throws AgovError UNAUTHENTICATED (unknown), REVOKED, EXPIRED,
   * or UNAVAILABLE (the authority cannot be reached: fail closed).
   */
  resolve(token: string): Promise<Caller>;
  /** The subset of `tools` the token's policies grant (one round trip to Vault). */
  grants(token: string, caller: Caller, tools: readonly string[]): Promise<Set<string>>;
  issue(req: { agent_id: string; tier: Tier; ttl_ms?: number }): Promise<IssuedToken>;
  /** Revokes every live token of the agent; returns how many were revoked. */
  revokeAgent(agentId: string): Promise<number>;
  list(): Promise<TokenInfo[]>;
  /** Changes the agent's tier (promotion). */
  setTier(agentId: string, tier: Tier): Promise<void>;
  close(): Promise<void>;
}
