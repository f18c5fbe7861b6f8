// The OAuth sign-in on a fleet: two agov HTTP servers on one Redis, with Vault as the authority.
// A client registers and a person approves at one instance; the code is redeemed, the token used
// and refreshed at the other; revoking the agent in Vault ends the sign-in on both.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaults } from "../../src/config/index.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createGateway } from "../../src/server/gateway.js";
import { serveHttp } from "../../src/server/http.js";
import { TOOLS } from "../../tools/index.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";
import { type VaultEnv, vaultEnv } from "../support/vault-env.js";

const REDIRECT = "http://127.0.0.1:53682/callback";
const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields),
  redirect: "manual" as const,
});
const hidden = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );

describe.runIf(redisAvailable())("OAuth across two instances on Redis, with Vault", () => {
  let env: VaultEnv;
  let redis: RedisServer;
  const runtimes: Runtime[] = [];
  const servers: Array<{ url: string; close(): Promise<void> }> = [];
  beforeAll(async () => {
    env = await vaultEnv();
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const rt = await createRuntime({
        ...defaults(tmpdir()),
        home: mkdtempSync(join(tmpdir(), "agov-oauth-fleet-")),
        log_level: "silent",
        state: "redis",
        redis_url: redis.url,
        authority: "vault",
        vault_addr: env.addr,
        vault_token: await env.serverToken(),
      });
      runtimes.push(rt);
      servers.push(
        await serveHttp(createGateway(rt, TOOLS), {
          port: 0,
          host: "127.0.0.1",
          log: pino({ level: "silent" }),
          idleMs: 60_000,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const rt of runtimes) await rt.close();
    await redis?.stop();
    await env?.close();
  });

  it("signs in at one instance and is served, refreshed and revoked at the other", async () => {
    const [a, b] = servers.map((s) => s.url.replace(/\/mcp$/, "")) as [string, string];
    const agent = env.unique("ide-fleet");
    const granting = await runtimes[0]!.authority.issue({ agent_id: agent, tier: 1 });

    const reg = await fetch(`${a}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
    });
    const { client_id } = (await reg.json()) as { client_id: string };
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const page = await fetch(
      `${a}/authorize?${new URLSearchParams({ response_type: "code", client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    const check = await fetch(
      `${a}/oauth/consent`,
      form({ ...hidden(await page.text()), token: granting.token, step: "check" }),
    );
    const confirm = await check.text();
    expect(confirm).toContain(agent);
    const approve = await fetch(
      `${a}/oauth/consent`,
      form({ ...hidden(confirm), step: "approve" }),
    );
    const code = new URL(approve.headers.get("location")!).searchParams.get("code")!;

    const tokenAt = (base: string, fields: Record<string, string>) =>
      fetch(`${base}/token`, form({ client_id, ...fields }));
    const r = await tokenAt(b, {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    });
    expect(r.status).toBe(200);
    const tokens = (await r.json()) as { access_token: string; refresh_token: string };

    const client = new Client({ name: "fleet", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(servers[1]!.url), {
        requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } },
      }),
    );
    const who = await client.callTool({ name: "whoami", arguments: {} });
    expect(who.structuredContent).toMatchObject({ agent_id: agent, tier: 1 });
    await client.close();

    const refreshed = await tokenAt(a, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { refresh_token: string };

    await runtimes[0]!.authority.revokeAgent(agent);
    const dead = await tokenAt(b, {
      grant_type: "refresh_token",
      refresh_token: next.refresh_token,
    });
    expect(dead.status).toBe(400);
    const denied = await fetch(servers[0]!.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(denied.status).toBe(401);
  });
});
