// The real binary under attack, over stdio and Streamable HTTP: arguments nested deep enough to
// overflow a recursive walk, and requests at the HTTP edge that must be refused before any session
// or row is made for them (or, for floods, made in bounded number).
import { describe, expect, it } from "vitest";
import { agov, httpServer, issueToken, tempHome } from "../support/agov.js";
import { initialize, rawHttp, rawStdio, toolCall } from "../support/raw-mcp.js";

/** Arguments whose value is `[[[…0…]]]` nested 5,000 deep: about 10 KB of JSON. */
const DEEP_ARGS = `{"task_id":"t","section":"progress","key":"k","value":${"[".repeat(5000)}0${"]".repeat(5000)},"expected_version":0}`;

interface Row {
  agent_id: string;
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
