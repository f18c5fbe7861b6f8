// The lifecycle as the server enforces it: BOOTSTRAP's checks, phase gates, EXIT, and promotion.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentClient, InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { AFTER_EXECUTE, givePacket, TO_EXECUTE, walk } from "../support/runs.js";

let env: InProc;
let orch: AgentClient;
beforeEach(async () => {
  env = await startInProc();
  orch = await env.connect("orchestrator", 3);
});
afterEach(async () => env.close());

describe("BOOTSTRAP", () => {
  it("refuses an agent with no instruction packet", async () => {
    const a = await env.connect("alpha", 1);
    const r = await a.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(r).toMatchObject({ isError: true, code: "NOT_FOUND" });
    expect(r.text).toMatch(/NO_INSTRUCTION_PACKET/);
  });

  it("refuses a second run of an agent whose execution lock is held", async () => {
    await givePacket(orch, "alpha", "t1");
    const one = await env.connect("alpha", 1);
    const two = await env.connect("alpha", 1);
    expect((await one.call("phase_transition", { phase: "BOOTSTRAP" })).isError).toBe(false);
    const r = await two.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(r).toMatchObject({ isError: true, code: "CONFLICT" });
    expect(r.text).toMatch(/CANNOT_ACQUIRE_LOCK/);
  });

  it("refuses a previously revoked agent, even with a new token", async () => {
    await givePacket(orch, "alpha", "t1");
    const a = await env.connect("alpha", 1);
    await walk(a, ["BOOTSTRAP"]);
    await a.call("phase_transition", { phase: "EXIT" }); // skipping: revoked
    expect((await a.call("whoami")).code).toBe("REVOKED");
    const again = await env.connect("alpha", 1);
    const r = await again.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(/AGENT_PREVIOUSLY_REVOKED/);
  });
});

describe("phase gates", () => {
  it("treats a write before EXECUTE as a procedure violation", async () => {
    await givePacket(orch, "alpha", "t1", { error_budget: { max_procedure_violations: 5 } });
    const a = await env.connect("alpha", 1);
    await walk(a, ["BOOTSTRAP", "PREFLIGHT", "PLAN"]);
    const r = await a.call("blackboard_post", {
      task_id: "t1",
      section: "solutions",
      key: "early",
      value: 1,
      expected_version: 0,
    });
    expect(r).toMatchObject({ isError: true, code: "PROCEDURE_VIOLATION" });
    expect(r.text).toMatch(/blackboard_post is not allowed in PLAN \(allowed in EXECUTE/);
    expect(await env.rt.state.blackboard.read("t1", "solutions")).toEqual([]);
  });

  it("refuses EXECUTE before a plan artifact", async () => {
    await givePacket(orch, "alpha", "t1", { error_budget: { max_procedure_violations: 5 } });
    const a = await env.connect("alpha", 1);
    for (const phase of ["BOOTSTRAP", "PREFLIGHT", "PLAN"])
      expect((await a.call("phase_transition", { phase })).isError).toBe(false);
    const r = await a.call("phase_transition", { phase: "EXECUTE" });
    expect(r).toMatchObject({ isError: true, code: "PROCEDURE_VIOLATION" });
    expect(r.text).toMatch(/without a plan artifact/);
  });

  it("leaves callers without a packet to their tier alone", async () => {
    const free = await env.connect("desktop", 1);
    const r = await free.call("lock_acquire", { resource: "r", ttl_ms: 1000 });
    expect(r.isError, r.text).toBe(false);
  });

  it("releases the agent's locks at EXIT and records a compliant run", async () => {
    await givePacket(orch, "alpha", "t1");
    const a = await env.connect("alpha", 1);
    await walk(a, TO_EXECUTE);
    await a.call("lock_acquire", { resource: "db", ttl_ms: 60_000 });
    await walk(a, AFTER_EXECUTE.slice(0, -1));
    const exit = await a.call("phase_transition", { phase: "EXIT" });
    expect(exit.data).toMatchObject({
      phase: "EXIT",
      released_locks: ["db"],
      compliant: true,
      metrics: { total_runs: 1, compliant_runs: 1, consecutive_compliant: 1 },
    });
    expect(await env.rt.state.locks.status("db")).toBeNull();
  });
});

describe("the gate's packet", () => {
  it("is read once per run, not on every call", async () => {
    await givePacket(orch, "alpha", "t1", {
      error_budget: {
        max_total_errors: 50,
        max_same_error_repeats: 50,
        max_procedure_violations: 50,
      },
    });
    const a = await env.connect("alpha", 1);
    await walk(a, ["BOOTSTRAP", "PREFLIGHT", "PLAN"]);
    const agents = env.rt.state.agents;
    const getPacket = agents.getPacket.bind(agents);
    let reads = 0;
    agents.getPacket = (id) => {
      reads++;
      return getPacket(id);
    };
    const post = (i: number) =>
      a.call("blackboard_post", {
        task_id: "t1",
        section: "solutions",
        key: `early-${i}`,
        value: i,
        expected_version: 0,
      });
    for (let i = 0; i < 5; i++) expect((await post(i)).code).toBe("PROCEDURE_VIOLATION");
    expect(reads).toBeLessThanOrEqual(1);
  });
});

describe("promotion", () => {
  async function compliantRuns(a: AgentClient, agent: string, n: number) {
    for (let i = 0; i < n; i++) {
      await givePacket(orch, agent, `task-${i}`);
      await walk(a, [...TO_EXECUTE, ...AFTER_EXECUTE]);
    }
  }

  it("promotes T0 to T1 after 5 consecutive compliant runs, live in the open session", async () => {
    const a = await env.connect("rookie", 0);
    await compliantRuns(a, "rookie", 4);
    const early = await a.call("promotion_request");
    expect(early.data).toMatchObject({ decision: "refused", from_tier: 0, to_tier: 1 });
    expect(early.data.reason).toMatch(/4 of 5 consecutive compliant runs/);

    await compliantRuns(a, "rookie", 1);
    const tools = async () => (await a.client.listTools()).tools.map((t) => t.name);
    expect(await tools()).not.toContain("lock_acquire");
    const changed = a.listChanged();
    const granted = await a.call("promotion_request");
    expect(granted.data).toMatchObject({ decision: "granted", from_tier: 0, to_tier: 1 });
    await expect.poll(() => a.listChanged(), { timeout: 3000 }).toBeGreaterThan(changed);
    expect(await tools()).toContain("lock_acquire");
    expect((await a.call("whoami")).data).toMatchObject({ tier: 1 });
    expect((await env.rt.ledger.promotions("rookie")).map((p) => p.decision)).toEqual([
      "refused",
      "granted",
    ]);
  });

  it("resets the streak on a non-compliant run", async () => {
    const a = await env.connect("rookie", 0);
    await compliantRuns(a, "rookie", 3);
    await givePacket(orch, "rookie", "bumpy", { error_budget: { max_same_error_repeats: 5 } });
    await walk(a, TO_EXECUTE);
    await a.call("error_report", { error_type: "flaky", message: "once" });
    await walk(a, AFTER_EXECUTE);
    await compliantRuns(a, "rookie", 2);
    const r = await a.call("promotion_request");
    expect(r.data).toMatchObject({ decision: "refused", metrics: { consecutive_compliant: 2 } });
  });

  it("keeps T3 → T4 pending until an architect approves", async () => {
    const a = await env.connect("senior", 3);
    const req = await a.call("promotion_request");
    expect(req.data).toMatchObject({ decision: "pending", to_tier: 4 });
    expect((await a.call("whoami")).data).toMatchObject({ tier: 3 });
    const self = await a.call("promotion_approve", { agent_id: "senior" });
    expect(self).toMatchObject({ isError: true, code: "DENIED" });
    const boss = await env.connect("architect", 4);
    const ok = await boss.call("promotion_approve", { agent_id: "senior" });
    expect(ok.data).toMatchObject({ decision: "granted", to_tier: 4 });
    expect((await a.call("whoami")).data).toMatchObject({ tier: 4 });
    const twice = await boss.call("promotion_approve", { agent_id: "senior" });
    expect(twice).toMatchObject({ isError: true, code: "NOT_FOUND" });
  });
});
