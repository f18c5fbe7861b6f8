// What the OAuth authorization server keeps, in the StateStore so that every instance on one
// Redis (or one embedded store) sees the same clients, codes and refresh tokens. Codes and refresh
// tokens are kept by their SHA-256 only; each is spent once, through the store's atomic claim.

import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { OAuthClientInformationFullSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import { z } from "zod";
import type { StateStore } from "../../state/index.js";
import { sha256 } from "../../util/json.js";

/** The idempotency scope the single-use claims live in: not an agent id (no parentheses there). */
const CLAIMS = "(oauth)";

const TIER = z.number().int().min(0).max(4);

/** An authorization request waiting for a person on the consent page. */
export const CONSENT = z.object({
  client_id: z.string(),
  redirect_uri: z.string(),
  code_challenge: z.string(),
  state: z.string().optional(),
  resource: z.string().optional(),
  expires_at: z.number(),
  /** Filled once a person has pasted a valid agov token: who the client will act as. */
  grant: z
    .object({
      agent_id: z.string(),
      tier: TIER,
      token_id: z.string(),
      token_expires_at: z.number(),
    })
    .optional(),
});
export type Consent = z.infer<typeof CONSENT>;

/** What a code or a refresh token stands for: an agent, through the agov token it was granted by. */
export const GRANT = z.object({
  client_id: z.string(),
  agent_id: z.string(),
  /** The agov token the person pasted; the grant lives no longer than it, and dies with it. */
  token_id: z.string(),
  token_expires_at: z.number(),
  expires_at: z.number(),
  /** One sign-in: its code and every refresh token rotated from it; void together on a replay. */
  family: z.string(),
  /** Codes only: the redirect URI and PKCE challenge of the authorization request. */
  redirect_uri: z.string().optional(),
  code_challenge: z.string().optional(),
});
export type Grant = z.infer<typeof GRANT>;

export interface OAuthRecords {
  client(id: string): Promise<OAuthClientInformationFull | undefined>;
  putClient(client: OAuthClientInformationFull): Promise<void>;
  consent(id: string): Promise<Consent | null>;
  putConsent(id: string, consent: Consent | null): Promise<void>;
  /** A code's or refresh token's grant, by the secret itself (looked up by its hash). */
  grant(kind: "code" | "refresh", secret: string): Promise<Grant | null>;
  putGrant(kind: "code" | "refresh", secret: string, grant: Grant): Promise<void>;
  /** Voids every refresh token of a sign-in (a code or refresh token was replayed). */
  voidFamily(family: string, now: number): Promise<void>;
  familyVoid(family: string): Promise<boolean>;
  /** True the first time a secret is spent; false ever after (until it would have expired). */
  spend(
    kind: "consent" | "code" | "refresh",
    secret: string,
    ttlMs: number,
    now: number,
  ): Promise<boolean>;
}

export function oauthRecords(state: StateStore): OAuthRecords {
  const parse = <S extends z.ZodType>(schema: S, data: unknown): z.infer<S> | null => {
    if (data === null) return null;
    const r = schema.safeParse(data);
    return r.success ? r.data : null;
  };
  return {
    async client(id) {
      return (
        parse(OAuthClientInformationFullSchema, await state.oauth.get("client", id)) ?? undefined
      );
    },
    putClient: (client) => state.oauth.put("client", client.client_id, client),
    async consent(id) {
      return parse(CONSENT, await state.oauth.get("consent", id));
    },
    putConsent: (id, consent) => state.oauth.put("consent", id, consent),
    async grant(kind, secret) {
      return parse(GRANT, await state.oauth.get(kind, sha256(secret)));
    },
    putGrant: (kind, secret, grant) => state.oauth.put(kind, sha256(secret), grant),
    // Beside the refresh tokens, under keys no SHA-256 hex can take.
    voidFamily: (family, now) => state.oauth.put("refresh", `family:${family}`, { voided_at: now }),
    async familyVoid(family) {
      return (await state.oauth.get("refresh", `family:${family}`)) !== null;
    },
    async spend(kind, secret, ttlMs, now) {
      const claimed = await state.idempotency.claim(
        CLAIMS,
        `${kind}:${sha256(secret)}`,
        { digest: kind, status: "done", started_at: now },
        Math.max(ttlMs, 1000),
      );
      return claimed.first;
    },
  };
}
