// Sessions are bounded and on the record: at most max_sessions_per_agent per agent and
// max_sessions in all, refused beyond with the limit named, and every opening, refusal and close
// is a `session` row, on every transport (here in-memory; stdio and HTTP in test/e2e).
import { afterEach, describe, expect, it } from "vitest";
import { connectInMemory } from "../../src/server/memory.js";
import { type InProc, startInProc } from "../support/inproc.js";

let env: InProc;
afterEach(async () => env?.close());

const sessionRows = (agent: string) =>
  env.rt.ledger.query({ kind: "session", agent_id: agent, newest_first: false });

async function token(agent: string, tier = 1) {
  return (await env.rt.authority.issue({ agent_id: agent, tier: tier as 1, ttl_ms: 3_600_000 }))
    .token;
}

describe("session limits", () => {
  it("refuses an agent's session beyond max_sessions_per_agent, naming the limit, on the record", async () => {
    env = await startInProc({}, { max_sessions_per_agent: 2 });
    const t = await token("alpha");
    const first = await connectInMemory(env.gateway, t);
    await connectInMemory(env.gateway, t);
    const third = connectInMemory(env.gateway, t);
    await expect(third).rejects.toMatchObject({ code: "DENIED" });
    await expect(third).rejects.toThrow(
      /agent alpha already has 2 open sessions \(max_sessions_per_agent 2\)/,
    );
    // Another agent is not held to alpha's count.
    await connectInMemory(env.gateway, await token("beta"));
    // A closed session makes room.
    await first.close();
    await connectInMemory(env.gateway, t);
    await env.rt.ledger.flush();
    const rows = await sessionRows("alpha");
    expect(rows.map((r) => [r.decision, r.action])).toEqual([
      ["allow", "session opened (memory)"],
      ["allow", "session opened (memory)"],
      ["deny", "session refused (memory)"],
      ["allow", "session closed (memory)"],
      ["allow", "session opened (memory)"],
    ]);
    expect(rows[2]).toMatchObject({ error_type: "DENIED", success: 0, tier: 1 });
    expect(rows[2]!.error_message).toMatch(/max_sessions_per_agent 2/);
    expect(rows[3]!.session_id).toBe(rows[0]!.session_id);
  });

  it("refuses any session beyond max_sessions", async () => {
    env = await startInProc({}, { max_sessions: 2 });
    await connectInMemory(env.gateway, await token("a"));
    await connectInMemory(env.gateway, await token("b"));
    await expect(connectInMemory(env.gateway, await token("c"))).rejects.toThrow(
      /agov already holds 2 open sessions \(max_sessions 2\)/,
    );
    expect(env.gateway.attached()).toBe(2);
    expect(await sessionRows("c")).toEqual([
      expect.objectContaining({ decision: "deny", action: "session refused (memory)" }),
    ]);
  });

  it("records the client's name and version when the session closes", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    await alpha.close();
    await env.rt.ledger.flush();
    const rows = await sessionRows("alpha");
    expect(rows.at(-1)).toMatchObject({
      action: "session closed (memory)",
      agent_version: "test-alpha/1.0.0",
    });
    expect(JSON.parse(rows.at(-1)!.detail!)).toMatchObject({ transport: "memory" });
  });
});
