// The real binary under attack, over stdio and Streamable HTTP: arguments nested deep enough to
// overflow a recursive walk, and requests at the HTTP edge that must be refused before any session
// or row is made for them (or, for floods, made in bounded number).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agov, httpServer, issueToken, stdioClient, tempHome } from "../support/agov.js";
import { initialize, rawHttp, rawPost, rawStdio, toolCall } from "../support/raw-mcp.js";

/** Arguments whose value is `[[[…0…]]]` nested 5,000 deep: about 10 KB of JSON. */
const DEEP_ARGS = `{"task_id":"t","section":"progress","key":"k","value":${"[".repeat(5000)}0${"]".repeat(5000)},"expected_version":0}`;

interface Row {
  agent_id: string;
  agent_version: string | null;
  tool: string | null;
  decision: string;
  error_type: string | null;
  error_message: string | null;
  action: string;
}

async function rows(home: string, agent?: string): Promise<Row[]> {
  const r = await agov(
    ["audit", "query", "--json", "--limit", "10000", ...(agent ? ["--agent", agent] : [])],
    { AGOV_HOME: home },
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

describe("deeply nested arguments", () => {
  it("are refused over stdio as INVALID_INPUT naming the limit, and recorded", async () => {
    const home = tempHome();
    const s = await rawStdio(home, await issueToken(home, "deep-stdio", 1));
    try {
      const r = await s.send(toolCall(1, "blackboard_post", DEEP_ARGS), 1);
      expect(r.error).toBeUndefined();
      expect(r.result?.isError).toBe(true);
      expect(r.result?.content?.[0]?.text).toMatch(
        /^INVALID_INPUT: .*arguments: nested deeper than 64 levels/,
      );
      // The session goes on serving.
      const who = await s.send(toolCall(2, "whoami", "{}"), 2);
      expect(who.result?.isError).toBeFalsy();
    } finally {
      await s.close();
    }
    expect(await rows(home, "deep-stdio")).toContainEqual(
      expect.objectContaining({
        tool: "blackboard_post",
        decision: "deny",
        error_type: "INVALID_INPUT",
      }),
    );
  });

  it("are refused over HTTP as INVALID_INPUT naming the limit, and recorded", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    try {
      const s = await rawHttp(server.url, await issueToken(home, "deep-http", 1));
      const r = await s.send(toolCall(1, "blackboard_post", DEEP_ARGS));
      expect(r.error).toBeUndefined();
      expect(r.result?.isError).toBe(true);
      expect(r.result?.content?.[0]?.text).toMatch(
        /^INVALID_INPUT: .*arguments: nested deeper than 64 levels/,
      );
      await s.close();
    } finally {
      await server.stop();
    }
    expect(await rows(home, "deep-http")).toContainEqual(
      expect.objectContaining({
        tool: "blackboard_post",
        decision: "deny",
        error_type: "INVALID_INPUT",
      }),
    );
  });
});

describe("a flood of bad bearer tokens", () => {
  it("is a handful of ledger rows that carry the count, not a row per request", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    const init = initialize(1);
    try {
      for (let i = 0; i < 300; i++) {
        const r = await fetch(server.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer agov_forged_${i}`,
          },
          body: init,
        });
        expect(r.status).toBe(401);
        await r.text();
      }
    } finally {
      await server.stop();
    }
    const refused = (await rows(home)).filter((r) => r.action.startsWith("http: bearer token"));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeLessThanOrEqual(4);
    const counted = refused
      .map((r) => /(\d+) more refusal\(s\) from (\S+)/.exec(r.action))
      .filter((m) => m !== null);
    expect(counted.reduce((n, m) => n + Number(m[1]), 0) + refused.length - counted.length).toBe(
      300,
    );
    expect(counted[0]![2]).toMatch(/127\.0\.0\.1/);
  });
});

describe("DNS rebinding", () => {
  let home: string;
  let server: Awaited<ReturnType<typeof httpServer>>;
  let token: string;
  let port: number;
  beforeAll(async () => {
    home = tempHome();
    server = await httpServer(home, {
      AGOV_HTTP_ALLOWED_HOSTS: "agov.internal",
      AGOV_HTTP_ALLOWED_ORIGINS: "https://console.example",
    });
    token = await issueToken(home, "web", 1);
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => server.stop());

  const post = (headers: Record<string, string>) =>
    rawPost(
      server.url,
      {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
        host: `127.0.0.1:${port}`,
        ...headers,
      },
      initialize(1),
    );
  // The session counts are in the detailed report, which needs a token.
  const sessions = async () =>
    (
      (await (
        await fetch(server.url.replace(/\/mcp$/, "/healthz"), {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { sessions: number }
    ).sessions;

  it("refuses a request naming another host with 403 before any session is made", async () => {
    const before = await sessions();
    const recorded = (await rows(home)).length;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, "evil.example"]) {
      const r = await post({ host });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body).error.message).toMatch(
        /^forbidden: Host ".*" is not a name this server answers to; add it to http_allowed_hosts/,
      );
    }
    expect(await sessions()).toBe(before);
    expect(await rows(home)).toHaveLength(recorded);
  });

  it("refuses a page of another origin, and answers its own and the configured ones", async () => {
    const evil = await post({ origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.message).toMatch(/Origin "http:\/\/evil\.example"/);
    expect((await post({ origin: "null" })).status).toBe(403);
    expect((await post({ origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    expect((await post({ origin: "https://console.example" })).status).toBe(200);
  });

  it("answers the loopback names on its port and a configured name on any port", async () => {
    for (const host of [`localhost:${port}`, `[::1]:${port}`, "agov.internal:443"])
      expect((await post({ host })).status, host).toBe(200);
  });

  it("warns at start-up when it listens beyond loopback", async () => {
    expect(server.stderr()).not.toMatch(/not a loopback address/);
    const open = await httpServer(tempHome(), {}, ["--host", "0.0.0.0"]);
    try {
      expect(open.stderr()).toMatch(/listening on 0\.0\.0\.0, which is not a loopback address/);
    } finally {
      await open.stop();
    }
  });
});

describe("sessions", () => {
  it("refuses an agent's session beyond max_sessions_per_agent over HTTP with 429, on the record", async () => {
    const home = tempHome();
    const server = await httpServer(home, { AGOV_MAX_SESSIONS_PER_AGENT: "2" });
    const token = await issueToken(home, "greedy", 1);
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
    };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await fetch(server.url, { method: "POST", headers, body: initialize(1) });
        expect(r.status).toBe(200);
        await r.text();
        ids.push(r.headers.get("mcp-session-id")!);
      }
      const third = await fetch(server.url, { method: "POST", headers, body: initialize(1) });
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(
        /^session refused: agent greedy already has 2 open sessions \(max_sessions_per_agent 2\)/,
      );
      const closed = await fetch(server.url, {
        method: "DELETE",
        headers: { ...headers, "mcp-session-id": ids[0]!, "mcp-protocol-version": "2025-06-18" },
      });
      expect(closed.status).toBe(200);
      const again = await fetch(server.url, { method: "POST", headers, body: initialize(1) });
      expect(again.status).toBe(200);
      await again.text();
    } finally {
      await server.stop();
    }
    const actions = (await rows(home, "greedy"))
      .filter((r) => r.action.startsWith("session"))
      .map((r) => r.action)
      .reverse();
    expect(actions.slice(0, 5)).toEqual([
      "session opened (http)",
      "session opened (http)",
      "session refused (http)",
      "session closed (http)",
      "session opened (http)",
    ]);
    // The server's stop closes the two left.
    expect(actions.slice(5)).toEqual(["session closed (http)", "session closed (http)"]);
  });

  it("records the opening and close of a stdio session with its client", async () => {
    const home = tempHome();
    const s = await stdioClient(home, await issueToken(home, "desk", 0));
    expect((await s.client.callTool({ name: "whoami", arguments: {} })).isError).toBeFalsy();
    await s.close();
    const session = (await rows(home, "desk")).filter((r) => r.action.startsWith("session"));
    expect(session.reverse()).toEqual([
      expect.objectContaining({ action: "session opened (stdio)", decision: "allow" }),
      expect.objectContaining({
        action: "session closed (stdio)",
        agent_version: "e2e-client/1.0.0",
      }),
    ]);
  });
});
