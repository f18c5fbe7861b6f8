// Issue 12, "trust holds under attack": each scenario is an attack an adversarial probe found,
// driven through the real gateway, and what must hold instead. Packets cannot reach up a tier or
// turn an ordinary call into a violation; outsiders' votes and deliverables do not count; every
// revocation takes the one path, and a re-issued agent can be revoked again.
import { afterEach, describe, expect, it } from "vitest";
import type { AgentClient, InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { startPipelines } from "../support/pipelines.js";
import { AFTER_EXECUTE, givePacket, TO_EXECUTE, walk } from "../support/runs.js";

let env: InProc;
afterEach(async () => env?.close());

async function setup() {
  env = await startInProc();
  const orch = await env.connect("orch", 3);
  return { orch };
}

const post = (a: AgentClient, key: string) =>
  a.call("blackboard_post", {
    task_id: "elsewhere",
    section: "progress",
    key,
    value: 1,
    expected_version: 0,
  });

describe("packets only govern agents below their creator", () => {
  it("refuses a T3's packet for a T4 architect, whose next call then stays ordinary", async () => {
    const { orch } = await setup();
    const arch = await env.connect("arch", 4);
    const r = await orch.call("packet_create", {
      agent_id: "arch",
      task_id: "t",
      objective: "stand still",
      constraints: { forbidden: ["whoami"] },
    });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(/arch is T4.*orch is T3/);
    expect(await env.rt.governance.getPacket("arch")).toBeNull();
    expect((await arch.call("whoami")).isError).toBe(false);
    expect(await env.rt.ledger.revocations("arch")).toEqual([]);
  });

  it("refuses a packet for a peer at the creator's own tier", async () => {
    const { orch } = await setup();
    await env.connect("peer", 3);
    const r = await orch.call("packet_create", { agent_id: "peer", task_id: "t", objective: "o" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(await env.rt.governance.getPacket("peer")).toBeNull();
  });

  it("lets a packet wait for an agent with no token yet, but refuses its BOOTSTRAP at T3 or above", async () => {
    const { orch } = await setup();
    await givePacket(orch, "newcomer", "t", { constraints: { forbidden: ["whoami"] } });
    expect(await env.rt.governance.getPacket("newcomer")).toMatchObject({ creator_tier: 3 });
    const newcomer = await env.connect("newcomer", 3);
    const r = await newcomer.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(/written by orch at T3.*newcomer is T3/);
    expect((await newcomer.call("whoami")).isError).toBe(false);
    expect(await env.rt.ledger.revocations("newcomer")).toEqual([]);
  });
});

describe("packets agov writes for pipeline stages", () => {
  it("lets an assigned architect take a T4 stage and run it on the stage's packet", async () => {
    const p = await startPipelines({ wait: "real" });
    env = p;
    const boss = await p.connect("boss", 4);
    const arch = await p.connect("arch-1", 4);
    const started = await boss.call("pipeline_run", {
      source:
        "pipeline:\n  name: top\n  stages:\n    - design: { agent: planner, tier: 4, artifacts: [design] }\n",
      assign: { design: "arch-1" },
    });
    expect(started.isError, started.text).toBe(false);
    const run = String(started.data.run_id);
    await p.waitFor((e) => e.type === "stage" && e.stage === "design" && e.to === "waiting");
    const took = await arch.call("stage_run", { run_id: run, stage: "design" });
    expect(took.isError, took.text).toBe(false);
    const boot = await arch.call("phase_transition", {
      phase: "BOOTSTRAP",
      task_id: `${run}/design`,
    });
    expect(boot.isError, boot.text).toBe(false);
    await walk(arch, ["PREFLIGHT", "PLAN", "EXECUTE"]);
    await arch.call("artifact_record", { name: "design", kind: "deliverable", content: 1 });
    await walk(arch, AFTER_EXECUTE);
    expect(await p.service.wait(run)).toMatchObject({ status: "succeeded" });
  });
});

describe("a packet binds its agent only from BOOTSTRAP to the end of that run", () => {
  it("leaves an existing caller's ordinary calls alone after it is given a packet", async () => {
    const { orch } = await setup();
    const ide = await env.connect("ide", 1);
    await givePacket(orch, "ide", "t", { constraints: { forbidden: ["lock_acquire"] } });
    // Before the fix: a write before BOOTSTRAP was a procedure violation that revoked at once.
    const write = await post(ide, "note");
    expect(write.isError, write.text).toBe(false);
    const lock = await ide.call("lock_acquire", { resource: "db", ttl_ms: 60_000 });
    expect(lock.isError, lock.text).toBe(false);
    expect(await env.rt.ledger.revocations("ide")).toEqual([]);
    expect((await ide.call("whoami")).isError).toBe(false);
  });

  it("does not charge its budget before BOOTSTRAP, and does once the run has started", async () => {
    const { orch } = await setup();
    const ide = await env.connect("ide", 1);
    await givePacket(orch, "ide", "t");
    for (let i = 0; i < 3; i++) {
      const r = await ide.call("error_report", { error_type: "flaky", message: "x" });
      expect(r.data).toMatchObject({ charged: false, revoked: false });
    }
    const bad = [1, 2, 3].map(() => ide.call("lock_acquire", { resource: "", ttl_ms: 5 }));
    for (const r of await Promise.all(bad)) expect(r.code).toBe("INVALID_INPUT");
    expect(await env.rt.ledger.revocations("ide")).toEqual([]);
    await walk(ide, TO_EXECUTE);
    const counted = await ide.call("error_report", { error_type: "flaky", message: "x" });
    expect(counted.data).toMatchObject({ charged: true, counters: { total_errors: 1 } });
  });

  it("holds the agent to its forbidden list once it BOOTSTRAPs for that packet", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "t", { constraints: { forbidden: ["lock_acquire"] } });
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    const r = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 60_000 });
    expect(r).toMatchObject({ isError: true, code: "FORBIDDEN_ACTION" });
    expect(await env.rt.ledger.revocations("alpha")).toMatchObject([
      { reason_type: "FORBIDDEN_ACTION" },
    ]);
  });

  it("returns an agent to its tier alone once its run reached EXIT", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, [...TO_EXECUTE, ...AFTER_EXECUTE]);
    const write = await post(alpha, "after-exit");
    expect(write.isError, write.text).toBe(false);
    expect(await env.rt.ledger.revocations("alpha")).toEqual([]);
  });
});

describe("votes from outside required_voters", () => {
  async function vote(a: AgentClient, id: string, v: string) {
    const r = await a.call("vote_cast", { task_id: "t", proposal_id: id, vote: v, reasoning: "r" });
    expect(r.isError, r.text).toBe(false);
    return r;
  }

  it("records outsiders' REJECTs as uncounted, so every required ACCEPT still decides", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 2);
    const beta = await env.connect("beta", 2);
    const outsiders = await Promise.all(["m1", "m2", "m3"].map((m) => env.connect(m, 1)));
    const created = await alpha.call("proposal_create", {
      task_id: "t",
      title: "event bus",
      content: {},
      required_voters: ["alpha", "beta"],
    });
    const id = created.data.id as string;
    for (const m of outsiders) await vote(m, id, "REJECT");
    await vote(alpha, id, "ACCEPT");
    const last = await vote(beta, id, "ACCEPT");
    expect(last.data).toMatchObject({
      status: "accepted",
      accept: 2,
      reject: 0,
      uncounted: ["m1", "m2", "m3"],
    });
    const status = await alpha.call("consensus_status", { task_id: "t", proposal_id: id });
    const [p] = status.data.proposals as Array<Record<string, unknown>>;
    expect(p).toMatchObject({ status: "accepted", uncounted: ["m1", "m2", "m3"] });
    expect(p!.votes).toHaveLength(5);
  });

  it("counts every vote when the proposal opts in with count_all_votes", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 2);
    const beta = await env.connect("beta", 2);
    const outsiders = await Promise.all(["m1", "m2", "m3"].map((m) => env.connect(m, 1)));
    const created = await alpha.call("proposal_create", {
      task_id: "t",
      title: "open vote",
      content: {},
      required_voters: ["alpha", "beta"],
      count_all_votes: true,
    });
    expect(created.isError, created.text).toBe(false);
    const id = created.data.id as string;
    for (const m of outsiders) await vote(m, id, "REJECT");
    await vote(alpha, id, "ACCEPT");
    const last = await vote(beta, id, "ACCEPT");
    expect(last.data).toMatchObject({ status: "rejected", accept: 2, reject: 3, uncounted: [] });
  });

  it("takes agent ids such as constructor as ordinary voters", async () => {
    env = await startInProc();
    const ctor = await env.connect("constructor", 2);
    const tos = await env.connect("toString", 1);
    const created = await ctor.call("proposal_create", {
      task_id: "t",
      title: "p",
      content: {},
      required_voters: ["constructor", "hasOwnProperty"],
    });
    const id = created.data.id as string;
    await vote(tos, id, "REJECT");
    const first = await vote(ctor, id, "ACCEPT");
    expect(first.data).toMatchObject({
      status: "pending",
      missing: ["hasOwnProperty"],
      uncounted: ["toString"],
    });
  });
});

describe("VERIFY counts the agent's own deliverables", () => {
  it("does not count a deliverable a co-worker on the task wrote", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "t", { deliverables: ["report"] });
    await givePacket(orch, "beta", "t");
    const alpha = await env.connect("alpha", 1);
    const beta = await env.connect("beta", 1);
    await walk(alpha, TO_EXECUTE);
    await walk(beta, TO_EXECUTE);
    const forged = await beta.call("artifact_record", {
      name: "report",
      kind: "deliverable",
      content: "written by beta",
    });
    expect(forged.isError, forged.text).toBe(false);
    const verify = await alpha.call("phase_transition", { phase: "VERIFY" });
    expect(verify).toMatchObject({ isError: true, code: "REVOKED" });
    expect(verify.text).toMatch(/missing after EXECUTE: report/);
  });

  it("does not count a deliverable an outsider wrote before the agent started", async () => {
    const { orch } = await setup();
    const mallory = await env.connect("mallory", 0);
    const early = await mallory.call("artifact_record", {
      name: "report",
      kind: "deliverable",
      content: "x",
      task_id: "t",
    });
    expect(early.isError, early.text).toBe(false);
    await givePacket(orch, "alpha", "t", { deliverables: ["report"] });
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    const verify = await alpha.call("phase_transition", { phase: "VERIFY" });
    expect(verify).toMatchObject({ isError: true, code: "REVOKED" });
  });

  it("counts what the revoked agents it continues from wrote, through a chain of handoffs", async () => {
    const { orch } = await setup();
    const boss = await env.connect("boss", 4);
    const packet = { deliverables: ["report", "runbook"] };
    await givePacket(orch, "a1", "t", packet);
    const a1 = await env.connect("a1", 1);
    await walk(a1, TO_EXECUTE);
    await a1.call("artifact_record", { name: "report", kind: "deliverable", content: "a1" });
    await boss.call("agent_revoke", { agent_id: "a1", reason: "stalled" });
    await givePacket(orch, "a2", "t", packet);
    const a2 = await env.connect("a2", 1);
    await walk(a2, TO_EXECUTE);
    await boss.call("agent_revoke", { agent_id: "a2", reason: "stalled again" });
    await givePacket(orch, "a3", "t", packet);
    const a3 = await env.connect("a3", 1);
    await walk(a3, TO_EXECUTE);
    await a3.call("artifact_record", { name: "runbook", kind: "deliverable", content: "a3" });
    const verify = await a3.call("phase_transition", { phase: "VERIFY" });
    expect(verify.isError, verify.text).toBe(false);
  });
});

describe("one revocation path", () => {
  it("revokes a re-issued agent again within a minute, reporting the tokens it revoked", async () => {
    const { orch } = await setup();
    const boss = await env.connect("boss", 4);
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    const first = await boss.call("agent_revoke", { agent_id: "alpha", reason: "first" });
    expect(first.data).toMatchObject({ revoked: true, tokens_revoked: 1 });
    const again = await env.connect("alpha", 1);
    expect((await again.call("whoami")).isError).toBe(false);
    const second = await boss.call("agent_revoke", { agent_id: "alpha", reason: "second" });
    expect(second.data).toMatchObject({ revoked: true, tokens_revoked: 1 });
    expect((await again.call("whoami")).code).toBe("REVOKED");
    const third = await boss.call("agent_revoke", { agent_id: "alpha", reason: "third" });
    expect(third.data).toMatchObject({ revoked: false, tokens_revoked: 0 });
  });

  it("revokes a re-issued agent that never had a run, and says when there is nothing left", async () => {
    await setup();
    const boss = await env.connect("boss", 4);
    await env.connect("ide", 1);
    expect((await boss.call("agent_revoke", { agent_id: "ide", reason: "x" })).data).toMatchObject({
      revoked: true,
      tokens_revoked: 1,
    });
    const again = await env.connect("ide", 1);
    const second = await boss.call("agent_revoke", { agent_id: "ide", reason: "y" });
    expect(second.data).toMatchObject({ revoked: true, tokens_revoked: 1 });
    expect((await again.call("whoami")).code).toBe("REVOKED");
    expect(await env.rt.ledger.revocations("ide")).toHaveLength(2);
  });
});

describe("a revoked run is counted once, as not compliant", () => {
  it("records the run a person revoked by hand, and not again for a run that had ended", async () => {
    const { orch } = await setup();
    const arch = await env.connect("arch", 4);
    await givePacket(orch, "worker", "t");
    const worker = await env.connect("worker", 1);
    await walk(worker, ["BOOTSTRAP", "PREFLIGHT"]);
    expect((await arch.call("agent_revoke", { agent_id: "worker", reason: "stop" })).isError).toBe(
      false,
    );
    expect(await env.rt.ledger.metrics("worker")).toMatchObject({
      total_runs: 1,
      compliant_runs: 0,
      current_tier: 1,
    });

    await givePacket(orch, "done", "t2");
    const done = await env.connect("done", 1);
    await walk(done, [...TO_EXECUTE, ...AFTER_EXECUTE]);
    await arch.call("agent_revoke", { agent_id: "done", reason: "afterwards" });
    expect(await env.rt.ledger.metrics("done")).toMatchObject({ total_runs: 1, compliant_runs: 1 });
  });
});
