// The Authority port: who is calling, at which tier, and which tools their policies grant.
// Adapters: `local` (embedded, tokens in SQLite, policies evaluated in-process) and `vault`.

import { TIER_NAMES, type Tier } from "../../protocol/lifecycle.js";
import { AgovError } from "../util/errors.js";

export { TIER_NAMES, type Tier };

/**
 * What an agent id may be, everywhere (tools, CLI, authority): it names a Vault AppRole role and
 * appears in key names and paths, so no "/" and nothing that needs quoting.
 */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
export const AGENT_ID_RULE =
  "letters, digits and . _ : - only, starting with a letter or digit, at most 200 characters";

/** Token TTLs per tier, from the seed: T0 1h, T1 30m, T2 30m, T3 15m, T4 15m. */
export const TIER_TTL_MS: Record<Tier, number> = {
  0: 3_600_000,
  1: 1_800_000,
  2: 1_800_000,
  3: 900_000,
  4: 900_000,
};

/**
 * The lifetimes a token may be issued with: at least a second (Vault counts seconds) and at most
 * 366 days, so every expiry is a date any clock, database and `token list` can hold.
 */
export const MIN_TOKEN_TTL_MS = 1000;
export const MAX_TOKEN_TTL_MS = 366 * 86_400_000;

/** Refuses a requested token lifetime outside the bounds, before anything is issued. */
export function checkTokenTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (!(Number.isInteger(ttlMs) && ttlMs >= MIN_TOKEN_TTL_MS && ttlMs <= MAX_TOKEN_TTL_MS))
    throw new AgovError(
      "INVALID_INPUT",
      `ttl_ms: a token lives from 1 s to 366 days (${MIN_TOKEN_TTL_MS}–${MAX_TOKEN_TTL_MS} ms), got ${ttlMs}`,
    );
}

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
  /**
   * The subset of `paths` a tier's policy grants (create or update), as the authority holds that
   * policy: the policy files here, Vault's stored policy in Vault mode. Pipelines check the
   * commands of a stage against its tier with it before anything runs.
   */
  tierGrants(tier: Tier, paths: readonly string[]): Promise<Set<string>>;
  issue(req: { agent_id: string; tier: Tier; ttl_ms?: number }): Promise<IssuedToken>;
  /** Revokes every live token of the agent; returns how many were revoked. */
  revokeAgent(agentId: string): Promise<number>;
  list(): Promise<TokenInfo[]>;
  /**
   * The agent's tier as far as the authority can tell: the highest tier among its live tokens
   * and, with Vault, its AppRole role (the tier its next login gets). Null when it has neither.
   * Decides whom a caller may govern (packet_create); fails closed (throws) when it cannot tell.
   */
  tierOf(agentId: string): Promise<Tier | null>;
  /** Changes the agent's tier (promotion). */
  setTier(agentId: string, tier: Tier): Promise<void>;
  close(): Promise<void>;
}
