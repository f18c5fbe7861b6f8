// An MCP client launched with a token that is no longer good (expired, unknown, revoked) over
// stdio: the server completes the handshake and refuses every request with the reason, so the
// client shows it, instead of exiting before initialize ("Connection closed").
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { agov, issueToken, stdioClient, tempHome, textOf } from "../support/agov.js";

describe("stdio with a token that is no longer good", () => {
  it("shows an expired token's agent, expiry and the command for a new one on every request", async () => {
    const home = tempHome();
    const token = await issueToken(home, "alpha", 1);
    // The token's expiry moved into the past, as time would have done.
    const expiredAt = Date.parse("2026-01-02T03:04:05Z");
    const db = new Database(join(home, "authority.db"));
    db.prepare("UPDATE tokens SET expires_at = ? WHERE agent_id = 'alpha'").run(expiredAt);
    db.close();

    const c = await stdioClient(home, token);
    try {
      expect(c.client.getServerVersion()?.name).toBe("agov");
      const reason =
        /alpha.*expired at 2026-01-02T03:04:05\.000Z.*agov token issue --agent alpha --tier 1/s;
      await expect(c.client.listTools()).rejects.toThrow(reason);
      const call = await c.client.callTool({ name: "whoami", arguments: {} });
      expect(call.isError).toBe(true);
      expect(textOf(call)).toMatch(reason);
      await expect(c.client.listPrompts()).rejects.toThrow(reason);
      expect(c.stderr()).not.toMatch(/at .*\.js:\d+/);
    } finally {
      await c.close();
    }
    // The refused call is on the record, under the agent the token named.
    const rows = JSON.parse(
      (
        await agov(["audit", "query", "--agent", "alpha", "--decision", "deny", "--json"], {
          AGOV_HOME: home,
        })
      ).stdout,
    ) as Array<{ kind: string; tool: string | null; error_type: string }>;
    expect(rows).toContainEqual(
      expect.objectContaining({ kind: "tool_call", tool: "whoami", error_type: "EXPIRED" }),
    );
  });

  it("says an unknown token is not one this AGOV_HOME issued, and how to get one", async () => {
    const home = tempHome();
    const c = await stdioClient(home, "agov_not-a-real-token");
    try {
      await expect(c.client.listTools()).rejects.toThrow(
        /not recognised.*AGOV_HOME.*agov token issue --agent <id> --tier <0-4>/s,
      );
    } finally {
      await c.close();
    }
  });
});
