// HTTP authorization as the MCP spec defines it, against the real binary: protected resource
// metadata (RFC 9728), the 401 challenges (RFC 6750), the OAuth 2.1 authorization server an IDE
// signs in through (PKCE, dynamic registration, a consent page), and the anonymous test mode.
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agov, httpClient, httpServer, issueToken, tempHome, textOf } from "../support/agov.js";

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "curl", version: "1" },
  },
};
const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};
const REDIRECT = "http://127.0.0.1:53682/callback";

const b64url = (b: Buffer) => b.toString("base64url");
function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash("sha256").update(verifier).digest()) };
}

/** The hidden fields of the consent form, as a browser would post them back. */
function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    out[m[1]!] = m[2]!;
  return out;
}

describe("HTTP authorization (agov serve --http)", () => {
  const home = tempHome();
  let server: Awaited<ReturnType<typeof httpServer>>;
  let base: string;
  beforeAll(async () => {
    server = await httpServer(home);
    base = server.url.replace(/\/mcp$/, "");
  });
  afterAll(async () => {
    await server.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers },
      body: JSON.stringify(body),
    });

  it("answers a request without credentials with a bare challenge naming the resource metadata", async () => {
    const r = await post(INIT);
    expect(r.status).toBe(401);
    const challenge = r.headers.get("www-authenticate") ?? "";
    expect(challenge).toBe(
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(challenge).not.toMatch(/error=/);
    expect(JSON.stringify(await r.json())).toMatch(/Authorization: Bearer/);
  });

  it("answers a bad token with error=invalid_token and the resource metadata", async () => {
    const r = await post(INIT, { authorization: "Bearer agov_forged" });
    expect(r.status).toBe(401);
    const challenge = r.headers.get("www-authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer error="invalid_token"/);
    expect(challenge).toContain(
      `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it("publishes protected resource metadata at the root and the /mcp-suffixed path", async () => {
    for (const path of [
      "/.well-known/oauth-protected-resource",
      "/.well-known/oauth-protected-resource/mcp",
    ]) {
      const r = await fetch(`${base}${path}`);
      expect(r.status).toBe(200);
      const prm = (await r.json()) as { resource: string; authorization_servers: string[] };
      expect(prm.resource).toBe(`${base}/mcp`);
      expect(prm.authorization_servers).toEqual([`${base}/`]);
    }
  });

  it("publishes authorization server metadata: code flow, S256 only, registration", async () => {
    const r = await fetch(`${base}/.well-known/oauth-authorization-server`);
    expect(r.status).toBe(200);
    const m = (await r.json()) as Record<string, unknown>;
    expect(m.issuer).toBe(`${base}/`);
    expect(m.code_challenge_methods_supported).toEqual(["S256"]);
    expect(m.response_types_supported).toEqual(["code"]);
    expect(m.authorization_endpoint).toBe(`${base}/authorize`);
    expect(m.token_endpoint).toBe(`${base}/token`);
    expect(m.registration_endpoint).toBe(`${base}/register`);
  });

  describe("the OAuth sign-in an IDE goes through", () => {
    let clientId: string;
    beforeAll(async () => {
      const r = await fetch(`${base}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_name: "Test IDE",
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token"],
        }),
      });
      expect(r.status).toBe(201);
      clientId = ((await r.json()) as { client_id: string }).client_id;
    });

    const authorizeUrl = (challenge: string, extra: Record<string, string> = {}) =>
      `${base}/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "st-1",
        ...extra,
      })}`;

    /** The consent page, the pasted token, the approval: the code the browser is sent back with. */
    async function signIn(token: string, challenge: string, agent = "ide-user"): Promise<string> {
      const page = await fetch(authorizeUrl(challenge));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("Test IDE");
      expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
      const check = await fetch(`${base}/oauth/consent`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...formFields(html), token, step: "check" }),
        redirect: "manual",
      });
      expect(check.status).toBe(200);
      const confirm = await check.text();
      expect(confirm).toContain(agent);
      expect(confirm).toMatch(/T1 \(operator\)/i);
      expect(confirm).not.toContain(token);
      const approve = await fetch(`${base}/oauth/consent`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...formFields(confirm), step: "approve" }),
        redirect: "manual",
      });
      expect(approve.status).toBe(302);
      const to = new URL(approve.headers.get("location") ?? "");
      expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
      expect(to.searchParams.get("state")).toBe("st-1");
      return to.searchParams.get("code") ?? "";
    }

    const tokenRequest = (params: Record<string, string>) =>
      fetch(`${base}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: clientId, ...params }),
      });

    it("grants short-lived access with a rotating refresh token that the MCP endpoint accepts", async () => {
      const agovToken = await issueToken(home, "ide-user", 1, ["--ttl", "2h"]);
      const { verifier, challenge } = pkce();
      const code = await signIn(agovToken, challenge);

      const wrong = await tokenRequest({
        grant_type: "authorization_code",
        code,
        code_verifier: pkce().verifier,
        redirect_uri: REDIRECT,
      });
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");

      const r = await tokenRequest({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      });
      expect(r.status).toBe(200);
      const tokens = (await r.json()) as {
        access_token: string;
        refresh_token: string;
        expires_in: number;
        token_type: string;
      };
      expect(tokens.token_type.toLowerCase()).toBe("bearer");
      expect(tokens.expires_in).toBeLessThanOrEqual(15 * 60);
      expect(tokens.access_token).not.toBe(agovToken);

      const c = await httpClient(server.url, tokens.access_token);
      try {
        const who = JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));
        expect(who).toMatchObject({ agent_id: "ide-user", tier: 1 });
      } finally {
        await c.close();
      }

      const refreshed = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      });
      expect(refreshed.status).toBe(200);
      const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
      expect(next.refresh_token).not.toBe(tokens.refresh_token);
      // Rotation: the refresh token just used is spent.
      const reused = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      });
      expect(reused.status).toBe(400);
      // A replay voids the whole sign-in: the refresh token the first use got is refused too.
      const voided = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: next.refresh_token,
      });
      expect(voided.status).toBe(400);
      expect(((await voided.json()) as { error_description: string }).error_description).toMatch(
        /void/,
      );

      // The code is single-use; a replay voids what its first use got.
      const third = pkce();
      const code3 = await signIn(agovToken, third.challenge);
      const exchange3 = () =>
        tokenRequest({
          grant_type: "authorization_code",
          code: code3,
          code_verifier: third.verifier,
          redirect_uri: REDIRECT,
        });
      const got3 = (await (await exchange3()).json()) as { refresh_token: string };
      expect((await exchange3()).status).toBe(400);
      const after3 = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: got3.refresh_token,
      });
      expect(after3.status).toBe(400);

      // Revoking the agent kills the OAuth access token and the refresh token with it.
      const again2 = pkce();
      const fresh = (await (
        await tokenRequest({
          grant_type: "authorization_code",
          code: await signIn(agovToken, again2.challenge),
          code_verifier: again2.verifier,
          redirect_uri: REDIRECT,
        })
      ).json()) as { access_token: string; refresh_token: string };
      const live = await post(INIT, { authorization: `Bearer ${fresh.access_token}` });
      expect(live.status).toBe(200);
      const revoked = await agov(["token", "revoke", "--agent", "ide-user"], { AGOV_HOME: home });
      expect(revoked.code).toBe(0);
      const denied = await post(INIT, { authorization: `Bearer ${fresh.access_token}` });
      expect(denied.status).toBe(401);
      const dead = await tokenRequest({
        grant_type: "refresh_token",
        refresh_token: fresh.refresh_token,
      });
      expect(dead.status).toBe(400);
      expect(((await dead.json()) as { error_description: string }).error_description).toMatch(
        /revoked or has expired/,
      );

      const rows = JSON.parse(
        (
          await agov(["audit", "query", "--kind", "token", "--agent", "ide-user", "--json"], {
            AGOV_HOME: home,
          })
        ).stdout,
      ) as Array<{ action: string; decision: string }>;
      expect(rows.map((row) => row.action).join("\n")).toMatch(/oauth grant/);
      expect(rows.map((row) => row.action).join("\n")).toMatch(/oauth refresh refused/);
    });

    it("never redirects to a redirect_uri the client did not register", async () => {
      const { challenge } = pkce();
      const r = await fetch(authorizeUrl(challenge, { redirect_uri: "https://evil.example/cb" }), {
        redirect: "manual",
      });
      expect(r.status).toBe(400);
      expect(r.headers.get("location")).toBeNull();
      // Another loopback port is another URI: registration is matched exactly.
      const port = await fetch(
        authorizeUrl(challenge, { redirect_uri: "http://127.0.0.1:1/callback" }),
        { redirect: "manual" },
      );
      expect(port.status).toBe(400);
      expect(port.headers.get("location")).toBeNull();
      // Not even an error is sent there.
      const plainElsewhere = await fetch(
        authorizeUrl(challenge, {
          redirect_uri: "http://127.0.0.1:1/callback",
          code_challenge_method: "plain",
        }),
        { redirect: "manual" },
      );
      expect(plainElsewhere.status).toBe(400);
      expect(plainElsewhere.headers.get("location")).toBeNull();
    });

    it("refuses plain PKCE and an unknown client without redirecting", async () => {
      const plain = await fetch(authorizeUrl("x".repeat(43), { code_challenge_method: "plain" }), {
        redirect: "manual",
      });
      // The error goes back to the registered redirect URI, never elsewhere.
      expect(plain.status).toBe(302);
      expect(plain.headers.get("location")).toMatch(
        /^http:\/\/127\.0\.0\.1:53682\/callback\?error=invalid_request/,
      );
      const unknown = await fetch(
        `${base}/authorize?${new URLSearchParams({ response_type: "code", client_id: "nobody", redirect_uri: REDIRECT, code_challenge: "x".repeat(43), code_challenge_method: "S256" })}`,
        { redirect: "manual" },
      );
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get("location")).toBeNull();
    });

    it("keeps the sign-in in the state store: a code from one instance is redeemed at another", async () => {
      const second = await httpServer(home);
      try {
        const otherBase = second.url.replace(/\/mcp$/, "");
        const agovToken = await issueToken(home, "ide-two", 1);
        const { verifier, challenge } = pkce();
        const code = await signIn(agovToken, challenge, "ide-two");
        const r = await fetch(`${otherBase}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            client_id: clientId,
            grant_type: "authorization_code",
            code,
            code_verifier: verifier,
            redirect_uri: REDIRECT,
          }),
        });
        expect(r.status).toBe(200);
        const { access_token } = (await r.json()) as { access_token: string };
        const c = await httpClient(second.url, access_token);
        const who = JSON.parse(textOf(await c.client.callTool({ name: "whoami", arguments: {} })));
        expect(who).toMatchObject({ agent_id: "ide-two" });
        await c.close();
      } finally {
        await second.stop();
      }
    });

    it("escapes what a client registers when it shows it, and refuses script redirect URIs", async () => {
      const evil = await fetch(`${base}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_name: '<script>alert(1)</script>"',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: "none",
        }),
      });
      const evilId = ((await evil.json()) as { client_id: string }).client_id;
      const page = await fetch(
        `${base}/authorize?${new URLSearchParams({ response_type: "code", client_id: evilId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: "S256" })}`,
      );
      const html = await page.text();
      expect(html).not.toContain("<script>");
      expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;");
      const js = await fetch(`${base}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["javascript:alert(1)"] }),
      });
      expect(js.status).toBe(400);
    });

    it("shows the consent page again, with the reason, for a token that is not valid", async () => {
      const { challenge } = pkce();
      const html = await (await fetch(authorizeUrl(challenge))).text();
      const r = await fetch(`${base}/oauth/consent`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...formFields(html), token: "agov_forged", step: "check" }),
        redirect: "manual",
      });
      expect(r.status).toBe(400);
      const page = await r.text();
      expect(page).toMatch(/token not recognised/);
      expect(page).not.toContain("agov_forged");
    });
  });
});

describe("a refused sign-in request", () => {
  it("is on the record, counted per source like a refused token", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    try {
      const base = server.url.replace(/\/mcp$/, "");
      const r = await fetch(
        `${base}/authorize?${new URLSearchParams({ response_type: "code", client_id: "nobody", redirect_uri: REDIRECT, code_challenge: "x".repeat(43), code_challenge_method: "S256" })}`,
        { redirect: "manual" },
      );
      expect(r.status).toBe(400);
      // Written just after the answer: looked for until it is there.
      let rows: Array<{ action: string; decision: string }> = [];
      for (let i = 0; i < 100 && rows.length === 0; i++) {
        const q = await agov(["audit", "query", "--kind", "auth_refused", "--json"], {
          AGOV_HOME: home,
        });
        rows = JSON.parse(q.stdout);
        if (rows.length === 0) await new Promise((res) => setTimeout(res, 50));
      }
      expect(rows).toEqual([
        expect.objectContaining({
          action: expect.stringMatching(/^oauth authorize refused/),
          decision: "deny",
        }),
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe("an MCP SDK client that signs in by itself", () => {
  it("discovers the sign-in from the 401, registers, and connects after a person approves", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    try {
      const agovToken = await issueToken(home, "vscode-user", 2);
      const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
      const { StreamableHTTPClientTransport } = await import(
        "@modelcontextprotocol/sdk/client/streamableHttp.js"
      );
      const { UnauthorizedError } = await import("@modelcontextprotocol/sdk/client/auth.js");
      let info: unknown;
      let tokens: unknown;
      let verifier = "";
      let sentTo: URL | undefined;
      const provider = {
        redirectUrl: REDIRECT,
        clientMetadata: {
          client_name: "SDK client",
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
        },
        clientInformation: () => info as never,
        saveClientInformation: (i: unknown) => {
          info = i;
        },
        tokens: () => tokens as never,
        saveTokens: (t: unknown) => {
          tokens = t;
        },
        redirectToAuthorization: (url: URL) => {
          sentTo = url;
        },
        saveCodeVerifier: (v: string) => {
          verifier = v;
        },
        codeVerifier: () => verifier,
      };
      const transport = new StreamableHTTPClientTransport(new URL(server.url), {
        authProvider: provider,
      });
      const first = new Client({ name: "sdk-oauth", version: "1" });
      await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(sentTo?.pathname).toBe("/authorize");

      // The person's browser: the consent page, the token pasted, the approval.
      const html = await (await fetch(sentTo!)).text();
      const check = await fetch(new URL("/oauth/consent", sentTo), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...formFields(html), token: agovToken, step: "check" }),
      });
      const approve = await fetch(new URL("/oauth/consent", sentTo), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...formFields(await check.text()), step: "approve" }),
        redirect: "manual",
      });
      const code = new URL(approve.headers.get("location") ?? "").searchParams.get("code")!;
      await transport.finishAuth(code);

      const client = new Client({ name: "sdk-oauth", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider }),
      );
      const who = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })));
      expect(who).toMatchObject({ agent_id: "vscode-user", tier: 2 });
      await client.close();
    } finally {
      await server.stop();
    }
  });
});

describe("behind a TLS proxy (AGOV_HTTP_PUBLIC_URL)", () => {
  /** A request as the proxy forwards it: to the bound port, with the public name in Host. */
  function viaProxy(url: string, path: string, init: { method?: string; body?: string } = {}) {
    const target = new URL(url);
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path,
            method: init.method ?? "GET",
            headers: { host: "agov.example.test", ...MCP_HEADERS },
          },
          (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
            );
          },
        );
        req.on("error", reject);
        req.end(init.body);
      },
    );
  }

  it("names the public URL in the metadata, the issuer and the challenge", async () => {
    const server = await httpServer(tempHome(), {
      AGOV_HTTP_PUBLIC_URL: "https://agov.example.test",
    });
    try {
      const prm = await viaProxy(server.url, "/.well-known/oauth-protected-resource/mcp");
      expect(prm.status).toBe(200);
      expect(JSON.parse(prm.body)).toMatchObject({
        resource: "https://agov.example.test/mcp",
        authorization_servers: ["https://agov.example.test/"],
      });
      const as = await viaProxy(server.url, "/.well-known/oauth-authorization-server");
      expect(JSON.parse(as.body)).toMatchObject({
        issuer: "https://agov.example.test/",
        token_endpoint: "https://agov.example.test/token",
      });
      const none = await viaProxy(server.url, "/mcp", {
        method: "POST",
        body: JSON.stringify(INIT),
      });
      expect(none.status).toBe(401);
      expect(none.headers["www-authenticate"]).toBe(
        'Bearer resource_metadata="https://agov.example.test/.well-known/oauth-protected-resource/mcp"',
      );
    } finally {
      await server.stop();
    }
  });
});

describe("the anonymous test mode (agov serve --http --anonymous-tier 0)", () => {
  it("serves a caller without a token as T0 only, and says so loudly", async () => {
    const home = tempHome();
    const server = await httpServer(home, {}, ["--anonymous-tier", "0"]);
    try {
      expect(server.stderr()).toMatch(/WARNING.*without a token.*T0/s);
      const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
      const { StreamableHTTPClientTransport } = await import(
        "@modelcontextprotocol/sdk/client/streamableHttp.js"
      );
      const client = new Client({ name: "no-bearer", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      try {
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names).toContain("whoami");
        expect(names).not.toContain("lock_acquire");
        const who = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })));
        expect(who).toMatchObject({ agent_id: "anonymous", tier: 0 });
      } finally {
        await client.close();
      }
      // A bad token is still refused: the mode only covers requests that carry none.
      const bad = await fetch(server.url, {
        method: "POST",
        headers: { ...MCP_HEADERS, authorization: "Bearer agov_forged" },
        body: JSON.stringify(INIT),
      });
      expect(bad.status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it("refuses any tier but T0 for callers without a token", async () => {
    const r = await agov(["serve", "--http", "0", "--anonymous-tier", "1"], {
      AGOV_HOME: tempHome(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--anonymous-tier.*only 0/);
  });
});
