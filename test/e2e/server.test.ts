// The governed MCP server as Claude Desktop, Cursor or an HTTP client meets it: the real binary,
// driven by the real MCP SDK client.
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeTool } from "../../src/server/describe.js";
import { TOOLS } from "../../tools/index.js";
import {
  agov,
  httpClient,
  httpServer,
  issueToken,
  stdioClient,
  tempHome,
  textOf,
} from "../support/agov.js";

const WRITE_TOOLS = [
  "lock_acquire",
  "lock_refresh",
  "lock_release",
  "blackboard_post",
  "message_send",
];

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("stdio transport", () => {
  it("lists each tool with the schemas its zod definition gives (the bundle embeds them)", async () => {
    const home = tempHome();
    const t4 = await stdioClient(home, await issueToken(home, "architect", 4));
    try {
      const listed = (await t4.client.listTools()).tools;
      expect(listed.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
      const fromSource = new Map(TOOLS.map((t) => [t.name, describeTool(t)]));
      for (const tool of listed) expect(tool).toEqual(fromSource.get(tool.name));
    } finally {
      await t4.close();
    }
  });

  it("shows a T0 caller no write tools, a T1 caller all of them, and audits a refused call", async () => {
    const home = tempHome();
    const t0 = await stdioClient(home, await issueToken(home, "observer", 0));
    const t1 = await stdioClient(home, await issueToken(home, "alpha", 1));
    try {
      const names0 = (await t0.client.listTools()).tools.map((t) => t.name);
      expect(names0).toContain("whoami");
      for (const w of WRITE_TOOLS) expect(names0).not.toContain(w);
      const names1 = (await t1.client.listTools()).tools.map((t) => t.name);
      for (const w of WRITE_TOOLS) expect(names1).toContain(w);

      const refused = await t0.client.callTool({
        name: "lock_acquire",
        arguments: { resource: "db", ttl_ms: 1000 },
      });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/DENIED: lock_acquire refused: requires tier T1/);
      expect(t0.stderr()).not.toMatch(/at .*\.js:\d+/);
    } finally {
      await t0.close();
      await t1.close();
    }
    const rows = JSON.parse(
      (await agov(["audit", "query", "--decision", "deny", "--json"], { AGOV_HOME: home })).stdout,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        agent_id: "observer",
        tier: 0,
        tool: "lock_acquire",
        decision: "deny",
        success: false,
        error_type: "DENIED",
      }),
    ]);
  });

  it("lets exactly one of two racing agents take a lock, then hands it on with a larger fence", async () => {
    const home = tempHome();
    const a = await stdioClient(home, await issueToken(home, "alpha", 1));
    const b = await stdioClient(home, await issueToken(home, "beta", 1));
    try {
      const args = { resource: "deploy", ttl_ms: 1500 };
      const [ra, rb] = await Promise.all([
        a.client.callTool({ name: "lock_acquire", arguments: args }),
        b.client.callTool({ name: "lock_acquire", arguments: args }),
      ]);
      const winners = [ra, rb].filter((r) => !r.isError);
      expect(winners).toHaveLength(1);
      const loser = ra.isError ? a : b;
      const loserResult = ra.isError ? ra : rb;
      const winner = ra.isError ? b : a;
      expect(textOf(loserResult)).toMatch(/CONFLICT: lock "deploy" is held by/);
      const first = winners[0]!.structuredContent as {
        lease_id: string;
        fence: number;
        holder: string;
      };

      const foreign = await loser.client.callTool({
        name: "lock_release",
        arguments: { resource: "deploy", lease_id: first.lease_id },
      });
      expect(foreign.isError).toBe(true);
      expect(textOf(foreign)).toMatch(/DENIED: lock "deploy" is held by/);
      const status = await loser.client.callTool({
        name: "lock_status",
        arguments: { resource: "deploy" },
      });
      expect(status.structuredContent).toMatchObject({ held: true, holder: first.holder });

      // Wait (bounded) for the TTL to lapse, then the other agent gets a larger fencing token.
      const second = await waitFor("lock expiry", async () => {
        const r = await loser.client.callTool({
          name: "lock_acquire",
          arguments: { resource: "deploy", ttl_ms: 5000 },
        });
        return r.isError ? undefined : (r.structuredContent as { fence: number; lease_id: string });
      });
      expect(second.fence).toBeGreaterThan(first.fence);
      const stale = await winner.client.callTool({
        name: "lock_refresh",
        arguments: { resource: "deploy", lease_id: first.lease_id, ttl_ms: 1000 },
      });
      expect(textOf(stale)).toMatch(/CONFLICT: lease .* is not the current holder's/);
      const released = await loser.client.callTool({
        name: "lock_release",
        arguments: { resource: "deploy", lease_id: second.lease_id },
      });
      expect(released.isError).toBeFalsy();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("tells an open session its tools changed when its agent is revoked, and refuses its next call", async () => {
    const home = tempHome();
    const s = await stdioClient(home, await issueToken(home, "alpha", 1));
    try {
      let changed = 0;
      s.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        changed++;
      });
      expect((await s.client.listTools()).tools.length).toBeGreaterThan(0);
      const revoke = await agov(["token", "revoke", "--agent", "alpha"], { AGOV_HOME: home });
      expect(revoke.code).toBe(0);
      await waitFor("tools/list_changed", async () => (changed > 0 ? true : undefined), 1500);
      expect((await s.client.listTools()).tools).toEqual([]);
      const r = await s.client.callTool({ name: "whoami", arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/REVOKED/);
    } finally {
      await s.close();
    }
    const rows = JSON.parse(
      (
        await agov(["audit", "query", "--agent", "alpha", "--decision", "deny", "--json"], {
          AGOV_HOME: home,
        })
      ).stdout,
    );
    expect(rows[0]).toMatchObject({ tool: "whoami", error_type: "REVOKED" });
  });
});

/** One valid argument set per tool; the test fails when a tool is added without one. */
const VALID: Record<string, Record<string, unknown>> = {
  whoami: {},
  health: {},
  heartbeat: {},
  lock_status: { resource: "r" },
  blackboard_read: { task_id: "t" },
  message_read: { task_id: "t" },
  audit_query: { limit: 5 },
  lock_acquire: { resource: "r", ttl_ms: 1000 },
  lock_refresh: { resource: "r", lease_id: "l", ttl_ms: 1000 },
  lock_release: { resource: "r", lease_id: "l" },
  blackboard_post: { task_id: "t", section: "progress", key: "k", value: 1, expected_version: 0 },
  message_send: { task_id: "t", to: "beta", type: "INFO", body: "hi" },
  packet_get: {},
  phase_transition: { phase: "BOOTSTRAP" },
  artifact_record: { name: "plan", kind: "plan", content: 1, task_id: "t" },
  artifact_read: { name: "plan", task_id: "t" },
  pipeline_describe: { pipeline: "infrastructure-deploy" },
  error_report: { error_type: "e", message: "m" },
  handoff_read: { task_id: "t" },
  promotion_request: {},
  consensus_status: { task_id: "t" },
  spawn_conditions: { task_id: "t" },
  vote_cast: { task_id: "t", proposal_id: "p", vote: "ACCEPT", reasoning: "r" },
  findings_list: { target: "/repo" },
  proposal_create: { task_id: "t", title: "x", content: 1, required_voters: ["a"] },
  packet_create: { agent_id: "a", task_id: "t", objective: "o" },
  agent_revoke: { agent_id: "a", reason: "r" },
  promotion_approve: { agent_id: "a" },
  pipeline_status: { run_id: "r" },
  checkpoint_save: { key: "k", data: 1 },
  checkpoint_load: { key: "k" },
  stage_run: { run_id: "r", stage: "s" },
  pipeline_run: { pipeline: "infrastructure-deploy" },
  gate_approve: { run_id: "r", stage: "s" },
  audit_verify: {},
};

describe("bad input", () => {
  it("names the field for missing, mistyped, oversized and unknown arguments of every tool, and keeps serving", async () => {
    const home = tempHome();
    const s = await stdioClient(home, await issueToken(home, "architect", 4));
    try {
      const tools = (await s.client.listTools()).tools;
      expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(VALID).sort());
      for (const tool of tools) {
        const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string }>;
        const required = (tool.inputSchema.required ?? []) as string[];
        const valid = VALID[tool.name]!;
        const call = async (args: Record<string, unknown>) => {
          const r = await s.client.callTool({ name: tool.name, arguments: args });
          expect(r.isError, `${tool.name} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
          return textOf(r);
        };
        for (const field of required) {
          const { [field]: _, ...rest } = valid;
          expect(await call(rest)).toMatch(new RegExp(`INVALID_INPUT: .*${field}: required`));
        }
        for (const [field, schema] of Object.entries(props)) {
          const wrong =
            schema.type === "string"
              ? 12345
              : schema.type === "number" || schema.type === "integer"
                ? "not-a-number"
                : undefined;
          if (wrong !== undefined)
            expect(await call({ ...valid, [field]: wrong })).toMatch(
              new RegExp(`INVALID_INPUT: .*${field}: `),
            );
          if (schema.type === "string")
            expect(await call({ ...valid, [field]: "x".repeat(70_000) })).toMatch(
              new RegExp(`INVALID_INPUT: .*${field}: `),
            );
        }
        expect(await call({ ...valid, acting_as: "someone-else" })).toMatch(
          /acting_as: unknown field/,
        );
      }
      const who = await s.client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError).toBeFalsy();
    } finally {
      await s.close();
    }
    expect((await agov(["audit", "verify"], { AGOV_HOME: home })).code).toBe(0);
    const denied = JSON.parse(
      (
        await agov(["audit", "query", "--decision", "deny", "--limit", "1000", "--json"], {
          AGOV_HOME: home,
        })
      ).stdout,
    );
    expect(denied.length).toBeGreaterThan(30);
    expect(denied.every((r: { error_type: string }) => r.error_type === "INVALID_INPUT")).toBe(
      true,
    );
  });
});

describe("Streamable HTTP transport", () => {
  let home: string;
  let server: Awaited<ReturnType<typeof httpServer>>;
  beforeAll(async () => {
    home = tempHome();
    server = await httpServer(home);
  });
  afterAll(async () => server.stop());

  it("filters tools by tier over HTTP", async () => {
    const t0 = await httpClient(server.url, await issueToken(home, "http-observer", 0));
    const t1 = await httpClient(server.url, await issueToken(home, "http-alpha", 1));
    const n0 = (await t0.client.listTools()).tools.map((t) => t.name);
    const n1 = (await t1.client.listTools()).tools.map((t) => t.name);
    for (const w of WRITE_TOOLS) {
      expect(n0).not.toContain(w);
      expect(n1).toContain(w);
    }
    const r = await t0.client.callTool({
      name: "lock_acquire",
      arguments: { resource: "x", ttl_ms: 1000 },
    });
    expect(textOf(r)).toMatch(/DENIED/);
    await t0.close();
    await t1.close();
  });

  it("answers 401 with WWW-Authenticate without a token or with a bad one", async () => {
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "curl", version: "1" },
      },
    };
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    const none = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(init) });
    expect(none.status).toBe(401);
    // RFC 6750 §3.1: no credentials, no error code; the challenge names the resource metadata.
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="/);
    expect(none.headers.get("www-authenticate")).not.toMatch(/error=/);
    const bad = await fetch(server.url, {
      method: "POST",
      headers: { ...headers, authorization: "Bearer agov_forged" },
      body: JSON.stringify(init),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toMatch(/token not recognised/);
  });

  it("keeps nothing of an initialize the transport refuses", async () => {
    const token = await issueToken(home, "picky", 0);
    // The session counts are in the detailed report, which needs a token.
    const health = async () =>
      (await (
        await fetch(server.url.replace(/\/mcp$/, "/healthz"), {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as {
        attached: number;
      };
    const before = (await health()).attached;
    for (let i = 0; i < 5; i++) {
      const r = await fetch(server.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/plain",
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "curl", version: "1" },
          },
        }),
      });
      expect(r.status).toBe(406);
    }
    expect((await health()).attached).toBe(before);
  });

  it("refuses a revoked token and tells its open session", async () => {
    const token = await issueToken(home, "http-revoked", 1);
    const c = await httpClient(server.url, token);
    let changed = 0;
    c.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changed++;
    });
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    expect(
      (await agov(["token", "revoke", "--agent", "http-revoked"], { AGOV_HOME: home })).code,
    ).toBe(0);
    await waitFor(
      "tools/list_changed over SSE",
      async () => (changed > 0 ? true : undefined),
      3000,
    );
    await expect(c.client.listTools()).rejects.toThrow(/401|revoked/i);
    await c.close().catch(() => {});
  });

  it("does not let one agent's token drive another agent's session", async () => {
    const alpha = await httpClient(server.url, await issueToken(home, "http-a", 1));
    const betaToken = await issueToken(home, "http-b", 1);
    const sessionId = alpha.transport.sessionId!;
    const hijack = await fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${betaToken}`,
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "whoami", arguments: {} },
      }),
    });
    expect(hijack.status).toBe(403);
    // An agent id in the arguments changes nothing: identity comes from the token alone.
    const post = await alpha.client.callTool({
      name: "blackboard_post",
      arguments: {
        task_id: "t",
        section: "progress",
        key: "k",
        value: 1,
        expected_version: 0,
        author: "http-b",
      },
    });
    expect(textOf(post)).toMatch(/author: unknown field/);
    const ok = await alpha.client.callTool({
      name: "blackboard_post",
      arguments: { task_id: "t", section: "progress", key: "k", value: 1, expected_version: 0 },
    });
    expect(ok.structuredContent).toMatchObject({ author: "http-a", version: 1 });
    const audit = await alpha.client.callTool({
      name: "audit_query",
      arguments: { agent_id: "http-b" },
    });
    expect(audit.structuredContent).toMatchObject({ rows: [] });
    await alpha.close();
  });
});
