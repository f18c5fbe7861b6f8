// The consent page: plain server-rendered HTML (no script, no framework, nothing fetched from
// elsewhere). A person pastes an agov token, sees the agent and tier it would grant the client,
// and approves or denies. The token itself is never stored or shown back; only its id is kept.
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Request, Response } from "express";
import { TIER_NAMES } from "../../authority/index.js";
import { type AgovError, toAgovError } from "../../util/errors.js";
import type { Gateway } from "../gateway.js";
import type { AgovOAuth } from "./provider.js";
import { CODE_TTL_MS, label } from "./provider.js";
import type { Consent } from "./records.js";

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

export function renderConsent(
  res: Response,
  status: number,
  page: { id: string; client: OAuthClientInformationFull; consent: Consent; error?: string },
): void {
  const { id, client, consent, error } = page;
  const target = new URL(consent.redirect_uri);
  const who = `<p><strong>${esc(label(client))}</strong> asks to use agov on your behalf. After you approve, your browser goes back to <code>${esc(target.origin)}</code>.</p>`;
  const hidden = `<input type="hidden" name="consent" value="${esc(id)}">`;
  const deny = `<form method="post" action="/oauth/consent">${hidden}<input type="hidden" name="step" value="deny"><button>Deny</button></form>`;
  const g = consent.grant;
  const body = g
    ? `${who}<p>It will act as agent <strong>${esc(g.agent_id)}</strong> at <strong>T${g.tier} (${TIER_NAMES[g.tier]})</strong>, with the tools that tier grants, until ${new Date(g.token_expires_at).toISOString()} at the latest (access tokens last 15 minutes and are refreshed). Every call is audited; revoking ${esc(g.agent_id)} (<code>agov token revoke --agent ${esc(g.agent_id)}</code>) signs the client out.</p>
<form method="post" action="/oauth/consent">${hidden}<input type="hidden" name="step" value="approve"><button>Approve</button></form>${deny}`
    : `${who}<p>Paste an agov token (<code>agov token issue --agent &lt;id&gt; --tier &lt;0-4&gt;</code>): the client will act as that token's agent, at its tier.</p>
${error ? `<p role="alert"><strong>${esc(error)}</strong></p>` : ""}
<form method="post" action="/oauth/consent">${hidden}<input type="hidden" name="step" value="check"><label>agov token <input type="password" name="token" autocomplete="off" required></label> <button>Continue</button></form>${deny}`;
  res
    .status(status)
    .set({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to agov</title><style>body{font:16px system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}form{display:inline-block;margin:.5em .5em 0 0}input[type=password]{width:24em}</style></head><body><h1>Sign in to agov</h1>${body}</body></html>`,
    );
}

/** POST /oauth/consent: check the pasted token, then approve (a code) or deny (an error). */
export function consentHandler(
  gateway: Gateway,
  provider: AgovOAuth,
  refused: (source: string, err: AgovError) => void,
) {
  const { clock, ids, ledger } = gateway.runtime;
  const { records } = provider;
  return async (req: Request, res: Response): Promise<void> => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : "");
    const id = field("consent");
    const consent = id ? await records.consent(id) : null;
    const client = consent ? await records.client(consent.client_id) : undefined;
    if (!consent || !client || consent.expires_at <= clock.now()) {
      res
        .status(400)
        .type("text/plain")
        .send(
          "This sign-in request is unknown or has expired: start the sign-in again from your client.",
        );
      return;
    }
    const back = (params: Record<string, string>) => {
      const url = new URL(consent.redirect_uri);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      if (consent.state !== undefined) url.searchParams.set("state", consent.state);
      res.redirect(302, url.href);
    };
    const step = field("step");
    if (step === "deny") {
      await records.putConsent(id, null);
      return back({ error: "access_denied", error_description: "the person denied the sign-in" });
    }
    if (step === "check") {
      try {
        const { caller } = await gateway.identify(field("token"));
        const grant = {
          agent_id: caller.agent_id,
          tier: caller.tier,
          token_id: caller.token_id,
          token_expires_at: caller.expires_at,
        };
        const next = { ...consent, grant };
        await records.putConsent(id, next);
        return renderConsent(res, 200, { id, client, consent: next });
      } catch (err) {
        const e = toAgovError(err);
        refused(req.socket.remoteAddress ?? "unknown", e);
        const status = e.code === "UNAVAILABLE" ? 503 : 400;
        return renderConsent(res, status, {
          id,
          client,
          consent,
          error: `${e.code}: ${e.message}`,
        });
      }
    }
    const g = consent.grant;
    if (step !== "approve" || !g) {
      res.status(400).type("text/plain").send("step must be check, approve or deny");
      return;
    }
    // One approval per consent, however many times the form is posted.
    if (!(await records.spend("consent", id, consent.expires_at - clock.now(), clock.now()))) {
      res.status(400).type("text/plain").send("This sign-in was already approved.");
      return;
    }
    const code = `agovc_${ids.secret(32)}`;
    await records.putGrant("code", code, {
      client_id: client.client_id,
      agent_id: g.agent_id,
      token_id: g.token_id,
      token_expires_at: g.token_expires_at,
      expires_at: clock.now() + CODE_TTL_MS,
      family: ids.next(),
      redirect_uri: consent.redirect_uri,
      code_challenge: consent.code_challenge,
    });
    await records.putConsent(id, null);
    await ledger.record(
      {
        kind: "token",
        agent_id: g.agent_id,
        tier: g.tier,
        action: `oauth consent: a person approved client ${label(client)} to act as ${g.agent_id} at T${g.tier}`,
        decision: "allow",
        detail: { op: "oauth_consent", client_id: client.client_id, granted_by: g.token_id },
      },
      { success: true },
    );
    back({ code });
  };
}
