// Proposals and votes over MCP, and the spawn conditions, each at its threshold with an injected
// clock (no sleeps).
import { afterEach, describe, expect, it } from "vitest";
import { manualClock } from "../../src/util/clock.js";
import type { AgentClient, InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { givePacket, walk } from "../support/runs.js";

let env: InProc;
afterEach(async () => env?.close());

async function propose(a: AgentClient, title: string, voters: string[]) {
  const r = await a.call("proposal_create", {
    task_id: "t",
    title,
    content: { title },
    required_voters: voters,
  });
  expect(r.isError, r.text).toBe(false);
  return r.data.id as string;
}

describe("consensus over MCP", () => {
  it("accepts a proposal once every required voter accepts, and records it", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 2);
    const beta = await env.connect("beta", 2);
    const id = await propose(alpha, "event bus", ["alpha", "beta"]);
    const first = await alpha.call("vote_cast", {
      task_id: "t",
      proposal_id: id,
      vote: "ACCEPT",
      reasoning: "mine",
    });
    expect(first.data).toMatchObject({ status: "pending", missing: ["beta"] });
    const second = await beta.call("vote_cast", {
      task_id: "t",
      proposal_id: id,
      vote: "ACCEPT",
      reasoning: "fine",
    });
    expect(second.data).toMatchObject({ status: "accepted", accept: 2 });
    const board = await env.rt.state.blackboard.read("t", "consensus");
    expect(board.find((e) => e.key === "final")?.value).toMatchObject({
      proposal_id: id,
      status: "accepted",
    });
    const late = await beta.call("vote_cast", {
      task_id: "t",
      proposal_id: id,
      vote: "REJECT",
      reasoning: "changed my mind",
    });
    expect(late).toMatchObject({ isError: true, code: "CONFLICT" });
    const rows = await env.rt.ledger.query({ agent_id: "beta" });
    expect(rows.some((r) => r.action.startsWith(`consensus accepted: proposal ${id}`))).toBe(true);
  });

  it("refuses a vote on a proposal that does not exist, naming it", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 2);
    const r = await alpha.call("vote_cast", {
      task_id: "t",
      proposal_id: "nope",
      vote: "ACCEPT",
      reasoning: "x",
    });
    expect(r).toMatchObject({ isError: true, code: "NOT_FOUND" });
    expect(r.text).toMatch(/proposal_id: no proposal nope/);
  });
});

describe("spawn conditions", () => {
  const fired = async (a: AgentClient, extra: Record<string, unknown> = {}) => {
    const r = await a.call("spawn_conditions", { task_id: "t", ...extra });
    expect(r.isError, r.text).toBe(false);
    const conds = r.data.conditions as Array<{ condition: string; fired: boolean }>;
    return conds.filter((c) => c.fired).map((c) => c.condition);
  };

  it("fires STUCK at 30 s of silence and not a millisecond before", async () => {
    const clock = manualClock();
    env = await startInProc({ clock });
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, ["BOOTSTRAP"]);
    clock.advance(29_999);
    expect(await fired(orch)).toEqual([]);
    clock.advance(1);
    expect(await fired(orch)).toEqual(["STUCK"]);
    const stuck = await orch.call("spawn_conditions", { task_id: "t" });
    expect((stuck.data.conditions as Array<{ agents?: string[] }>)[0]?.agents).toEqual(["alpha"]);
    await alpha.call("heartbeat");
    expect(await fired(orch)).toEqual([]);
    clock.advance(10_000);
    expect(await fired(orch, { stuck_ms: 10_000 })).toEqual(["STUCK"]);
  });

  it("fires CONFLICT at 3 unresolved rejected proposals, not 2", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 2);
    const beta = await env.connect("beta", 2);
    for (const title of ["one", "two", "three"]) {
      const id = await propose(alpha, title, ["alpha", "beta", "gamma"]);
      await beta.call("vote_cast", {
        task_id: "t",
        proposal_id: id,
        vote: "REJECT",
        reasoning: "no",
      });
      expect(await fired(alpha)).toEqual(title === "three" ? ["CONFLICT"] : []);
    }
  });

  it("fires COMPLEXITY above 0.8 only", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const post = (score: number, version: number) =>
      alpha.call("blackboard_post", {
        task_id: "t",
        section: "problem",
        key: "complexity",
        value: { score },
        expected_version: version,
      });
    await post(0.8, 0);
    expect(await fired(alpha)).toEqual([]);
    await post(0.81, 1);
    expect(await fired(alpha)).toEqual(["COMPLEXITY"]);
  });

  it("fires SUCCESS when every agent on the task has finished", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t");
    await givePacket(orch, "beta", "t");
    const alpha = await env.connect("alpha", 1);
    const beta = await env.connect("beta", 1);
    const all = ["BOOTSTRAP", "PREFLIGHT", "PLAN", "EXECUTE", "VERIFY", "PACKAGE", "REPORT"];
    await walk(alpha, all);
    await walk(beta, ["BOOTSTRAP"]);
    expect(await fired(orch)).toEqual([]);
    await walk(beta, all.slice(1));
    expect(await fired(orch)).toEqual(["SUCCESS"]);
  });

  it("does not call a task whose agents were all revoked a SUCCESS", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    const boss = await env.connect("boss", 4);
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, ["BOOTSTRAP"]);
    await boss.call("agent_revoke", { agent_id: "alpha", reason: "test" });
    expect(await fired(orch)).toEqual([]);
  });
});
