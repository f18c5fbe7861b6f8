// agov as an OAuth 2.1 authorization server for IDEs (the SDK's OAuthServerProvider): a person
// signs a client in on the consent page with an agov token; the client gets short-lived access
// tokens issued by the authority (local or Vault) for that same agent and tier, and a refresh
// token that rotates on every use. Access tokens are agov tokens, so revoking the agent revokes
// them; a grant lives no longer than the token it was granted with, and dies with it.

import {
  InvalidGrantError,
  InvalidTargetError,
  ServerError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type {
  OAuthClientInformationFull,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Response } from "express";
import { isTier, type Tier } from "../../authority/index.js";
import { toAgovError } from "../../util/errors.js";
import type { Gateway } from "../gateway.js";
import { renderConsent } from "./consent.js";
import { type Grant, type OAuthRecords, oauthRecords } from "./records.js";

/** An access token lives at most this long; the client refreshes it. */
export const ACCESS_TTL_MS = 15 * 60_000;
/** A code must be exchanged this soon after the person approved. */
export const CODE_TTL_MS = 60_000;
/** A consent page may be left open this long. */
export const CONSENT_TTL_MS = 10 * 60_000;

export interface AgovOAuth extends OAuthServerProvider {
  records: OAuthRecords;
}

export function createOAuthProvider(gateway: Gateway, resource: (url?: URL) => boolean): AgovOAuth {
  const { state, authority, ledger, clock, ids } = gateway.runtime;
  const records = oauthRecords(state);

  /** The grant's agov token as the authority sees it now: its current tier, or why it is gone. */
  async function liveTier(g: Grant): Promise<Tier> {
    const now = clock.now();
    let found: { tier: number; revoked: boolean; expires_at: number } | undefined;
    try {
      found = (await authority.list()).find((t) => t.token_id === g.token_id);
    } catch (err) {
      throw new ServerError(`authority unavailable: ${toAgovError(err).message}`);
    }
    if (!found || found.revoked || found.expires_at <= now || !isTier(found.tier))
      throw new InvalidGrantError(
        `the agov token this sign-in was granted with (agent ${g.agent_id}) was revoked or has expired; sign in again`,
      );
    return found.tier;
  }

  async function issue(
    client: OAuthClientInformationFull,
    g: Grant,
    how: string,
  ): Promise<OAuthTokens> {
    const tier = await liveTier(g);
    const now = clock.now();
    const ttl = Math.min(ACCESS_TTL_MS, g.token_expires_at - now);
    if (ttl < 1000) throw new InvalidGrantError("the sign-in has expired; sign in again");
    const access = await authority.issue({ agent_id: g.agent_id, tier, ttl_ms: ttl });
    const refresh = `agovr_${ids.secret(32)}`;
    await records.putGrant("refresh", refresh, {
      client_id: client.client_id,
      agent_id: g.agent_id,
      token_id: g.token_id,
      token_expires_at: g.token_expires_at,
      expires_at: g.token_expires_at,
      family: g.family,
    });
    await audit(
      g.agent_id,
      tier,
      `oauth ${how}: ${g.agent_id} at T${tier} for client ${label(client)} (token id ${access.token_id})`,
      true,
      {
        op: `oauth_${how}`,
        client_id: client.client_id,
        token_id: access.token_id,
        granted_by: g.token_id,
      },
    );
    return {
      access_token: access.token,
      token_type: "Bearer",
      expires_in: Math.floor(ttl / 1000),
      refresh_token: refresh,
    };
  }

  async function audit(
    agentId: string,
    tier: number | null,
    action: string,
    ok: boolean,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await ledger.record(
      { kind: "token", agent_id: agentId, tier, action, decision: ok ? "allow" : "deny", detail },
      ok ? { success: true } : { success: false, error_type: "DENIED", error_message: action },
    );
  }

  /** Refuses (on the record) a code or refresh token that is not, or no longer, good. */
  async function refused(g: Grant | null, what: string, why: string): Promise<never> {
    if (g)
      await audit(g.agent_id, null, `oauth ${what} refused: ${why}`, false, {
        op: `oauth_${what}`,
        client_id: g.client_id,
      }).catch(() => {});
    throw new InvalidGrantError(why);
  }

  const provider: AgovOAuth = {
    records,
    clientsStore: {
      getClient: (id) => records.client(id),
      async registerClient(client) {
        const full = client as OAuthClientInformationFull;
        await records.putClient(full);
        return full;
      },
    },

    async authorize(client, params: AuthorizationParams, res: Response) {
      // The SDK lets any port of a loopback redirect URI through (RFC 8252); agov holds a client
      // to the exact URIs it registered, and never redirects to any other.
      if (!client.redirect_uris.includes(params.redirectUri)) {
        res
          .status(400)
          .type("text/plain")
          .send(
            "invalid_request: redirect_uri is not one this client registered (they are matched exactly)",
          );
        return;
      }
      if (!resource(params.resource))
        throw new InvalidTargetError("resource is not this server's /mcp");
      const id = ids.secret(24);
      const consent = {
        client_id: client.client_id,
        redirect_uri: params.redirectUri,
        code_challenge: params.codeChallenge,
        ...(params.state !== undefined ? { state: params.state } : {}),
        ...(params.resource ? { resource: params.resource.href } : {}),
        expires_at: clock.now() + CONSENT_TTL_MS,
      };
      await records.putConsent(id, consent);
      renderConsent(res, 200, { id, client, consent });
    },

    async challengeForAuthorizationCode(client, code) {
      const g = await records.grant("code", code);
      if (!g || g.client_id !== client.client_id || !g.code_challenge)
        throw new InvalidGrantError("unknown authorization code");
      return g.code_challenge;
    },

    async exchangeAuthorizationCode(client, code, _verifier, redirectUri) {
      const g = await records.grant("code", code);
      if (!g || g.client_id !== client.client_id)
        throw new InvalidGrantError("unknown authorization code");
      const now = clock.now();
      if (g.expires_at <= now) return refused(g, "code", "the authorization code has expired");
      if (redirectUri !== undefined && redirectUri !== g.redirect_uri)
        return refused(g, "code", "redirect_uri differs from the authorization request's");
      if (!(await records.spend("code", code, CODE_TTL_MS * 2, now))) {
        // A replayed code may be a stolen one: what the first use got can no longer be refreshed.
        await records.voidFamily(g.family, now);
        return refused(
          g,
          "code",
          "the authorization code was already used; the sign-in it began is void",
        );
      }
      try {
        return await issue(client, g, "grant");
      } catch (err) {
        if (err instanceof InvalidGrantError) return refused(g, "grant", err.message);
        throw err;
      }
    },

    async exchangeRefreshToken(client, refreshToken) {
      const g = await records.grant("refresh", refreshToken);
      if (!g || g.client_id !== client.client_id)
        throw new InvalidGrantError("unknown refresh token");
      const now = clock.now();
      if (g.expires_at <= now) return refused(g, "refresh", "the refresh token has expired");
      if (await records.familyVoid(g.family))
        return refused(
          g,
          "refresh",
          "this sign-in was voided after a replayed token; sign in again",
        );
      if (!(await records.spend("refresh", refreshToken, g.expires_at - now, now))) {
        // Rotation means a spent token comes back only when two parties hold it: void them all.
        await records.voidFamily(g.family, now);
        return refused(
          g,
          "refresh",
          "the refresh token was already used (they rotate), so this sign-in is void; sign in again",
        );
      }
      try {
        return await issue(client, g, "refresh");
      } catch (err) {
        if (err instanceof InvalidGrantError) return refused(g, "refresh", err.message);
        throw err;
      }
    },

    async verifyAccessToken(token) {
      const { caller } = await gateway.identify(token);
      return {
        token,
        clientId: caller.agent_id,
        scopes: [],
        expiresAt: Math.floor(caller.expires_at / 1000),
      };
    },

    async revokeToken(client, request) {
      // A refresh token is spent; an access token is an agov token, revoked with its agent.
      const g = await records.grant("refresh", request.token);
      if (g && g.client_id === client.client_id)
        await records.spend(
          "refresh",
          request.token,
          Math.max(g.expires_at - clock.now(), 1000),
          clock.now(),
        );
    },
  };
  return provider;
}

export function label(client: OAuthClientInformationFull): string {
  return client.client_name ? `${client.client_name} (${client.client_id})` : client.client_id;
}
