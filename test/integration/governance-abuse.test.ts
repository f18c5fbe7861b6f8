// Ways an agent could try to get around its governance, each refused: forging votes or the
// progress roster, writing its own packet, reusing a packet to farm promotions, taking another
// agent's execution lock, writing another task's artifacts, a forbidden tool it is not even
// granted, and a burst of bad calls counted as one revocation.
import { afterEach, describe, expect, it } from "vitest";
import { manualClock } from "../../src/util/clock.js";
import type { InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { AFTER_EXECUTE, givePacket, TO_EXECUTE, walk } from "../support/runs.js";

let env: InProc;
afterEach(async () => env?.close());

async function setup(opts = {}) {
  env = await startInProc(opts);
  const orch = await env.connect("orch", 3);
  return { orch };
}

describe("forged coordination state", () => {
  it("refuses blackboard writes to votes, results and proposals", async () => {
    await setup();
    const mallory = await env.connect("mallory", 1);
    for (const [section, key] of [
      ["consensus", "votes:p1"],
      ["consensus", "result:p1"],
      ["consensus", "final"],
      ["solutions", "proposal:p1"],
    ]) {
      const r = await mallory.call("blackboard_post", {
        task_id: "t",
        section,
        key,
        value: { forged: true },
        expected_version: 0,
      });
      expect(r, `${section}/${key}`).toMatchObject({ isError: true, code: "DENIED" });
      expect(r.text).toMatch(/written by agov itself/);
    }
    expect(await env.rt.state.blackboard.read("t")).toEqual([]);
    const fine = await mallory.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "notes",
      value: 1,
      expected_version: 0,
    });
    expect(fine.isError).toBe(false);
  });

  it("keeps the progress roster out of agents' reach: a forged board entry changes nothing", async () => {
    const { orch } = await setup();
    const mallory = await env.connect("mallory", 1);
    await env.rt.state.roster.set("t", "alpha", { phase: "EXECUTE", step: "work", at: 0 });
    const forged = await mallory.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "agents",
      value: { alpha: { phase: "EXIT", step: "", at: 0 } },
      expected_version: 0,
    });
    expect(forged.isError).toBe(false);
    const cond = await orch.call("spawn_conditions", { task_id: "t" });
    // Times in results are ISO 8601 UTC.
    expect(cond.data.roster).toEqual({
      alpha: { phase: "EXECUTE", step: "work", at: "1970-01-01T00:00:00.000Z" },
    });
    const success = (cond.data.conditions as Array<{ condition: string; fired: boolean }>).find(
      (c) => c.condition === "SUCCESS",
    );
    expect(success?.fired).toBe(false);
  });

  it("keeps agents off the execution-lock namespace", async () => {
    await setup();
    const mallory = await env.connect("mallory", 1);
    const r = await mallory.call("lock_acquire", { resource: "agent:beta:exec", ttl_ms: 60_000 });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(await env.rt.state.locks.status("agent:beta:exec")).toBeNull();
  });
});

describe("packets", () => {
  it("refuses an agent writing its own packet, and rewriting one mid-run", async () => {
    const { orch } = await setup();
    const self = await orch.call("packet_create", {
      agent_id: "orch",
      task_id: "t",
      objective: "o",
    });
    expect(self).toMatchObject({ isError: true, code: "DENIED" });
    await givePacket(orch, "alpha", "t", { constraints: { forbidden: ["lock_acquire"] } });
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, ["BOOTSTRAP"]);
    const rewrite = await orch.call("packet_create", {
      agent_id: "alpha",
      task_id: "t",
      objective: "o",
    });
    expect(rewrite).toMatchObject({ isError: true, code: "CONFLICT" });
    expect((await env.rt.governance.getPacket("alpha"))?.constraints.forbidden).toEqual([
      "lock_acquire",
    ]);
  });

  it("uses a packet for one run only, so runs cannot be farmed for promotion", async () => {
    const { orch } = await setup();
    await givePacket(orch, "rookie", "t");
    const a = await env.connect("rookie", 0);
    await walk(a, [...TO_EXECUTE, ...AFTER_EXECUTE]);
    const again = await a.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(again).toMatchObject({ isError: true, code: "NOT_FOUND" });
    expect(again.text).toMatch(/was used by run/);
    expect(await env.rt.ledger.metrics("rookie")).toMatchObject({
      total_runs: 1,
      compliant_runs: 1,
    });
  });

  it("records a run that died (its lock lapsed) as not compliant before the next one", async () => {
    const clock = manualClock();
    const { orch } = await setup({ clock });
    await givePacket(orch, "flaky", "t");
    const a = await env.connect("flaky", 0);
    await walk(a, ["BOOTSTRAP", "PREFLIGHT"]);
    clock.advance(11 * 60_000);
    const b = await env.connect("flaky", 0);
    expect((await b.call("phase_transition", { phase: "BOOTSTRAP" })).isError).toBe(false);
    expect(await env.rt.ledger.metrics("flaky")).toMatchObject({
      total_runs: 1,
      compliant_runs: 0,
      consecutive_compliant: 0,
    });
  });
});

describe("artifacts", () => {
  it("lets an agent under a packet record artifacts for its own task only", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "mine");
    const alpha = await env.connect("alpha", 0);
    await walk(alpha, ["BOOTSTRAP", "PREFLIGHT", "PLAN"]);
    const r = await alpha.call("artifact_record", {
      name: "design-doc",
      kind: "deliverable",
      content: "x",
      task_id: "theirs",
    });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(await env.rt.state.tasks.artifacts("theirs")).toEqual([]);
  });
});

describe("revocation", () => {
  it("revokes for a forbidden tool even when the agent is not granted it", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "t", { constraints: { forbidden: ["agent_revoke"] } });
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    const r = await alpha.call("agent_revoke", { agent_id: "beta", reason: "x" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(await env.rt.ledger.revocations("alpha")).toMatchObject([
      { reason_type: "FORBIDDEN_ACTION" },
    ]);
    expect((await alpha.call("whoami")).code).toBe("REVOKED");
  });

  it("counts a burst of bad calls as one revocation of the run", async () => {
    const { orch } = await setup();
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    await Promise.all(
      Array.from({ length: 6 }, () => alpha.call("lock_acquire", { resource: "", ttl_ms: 5 })),
    );
    expect(await env.rt.ledger.revocations("alpha")).toHaveLength(1);
    expect((await env.rt.ledger.metrics("alpha")).total_runs).toBe(1);
  });

  it("refuses to promote a revoked agent", async () => {
    await setup();
    const senior = await env.connect("senior", 3);
    expect((await senior.call("promotion_request")).data).toMatchObject({ decision: "pending" });
    const boss = await env.connect("boss", 4);
    await boss.call("agent_revoke", { agent_id: "senior", reason: "misbehaved" });
    const r = await boss.call("promotion_approve", { agent_id: "senior" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(/revoked/);
  });
});

describe("concurrent calls of one agent", () => {
  it("never rolls a transition back when another session's call passes the gate meanwhile", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { createSqliteState } = await import("../../src/state/sqlite.js");
    const { randomIds, systemClock } = await import("../../src/util/clock.js");
    const base = createSqliteState({
      home: mkdtempSync(join(tmpdir(), "agov-race-")),
      clock: systemClock,
      ids: randomIds,
    });
    // Any write of the run record still in EXECUTE (a stale copy) is held until VERIFY is written,
    // which is exactly the interleaving that would roll the phase back.
    let verifyWritten: () => void = () => {};
    const verified = new Promise<void>((r) => {
      verifyWritten = r;
    });
    let holding = false;
    const state = {
      ...base,
      agents: {
        ...base.agents,
        async setState(agentId: string, run: Record<string, unknown>) {
          if (holding && run.phase === "EXECUTE") await verified;
          await base.agents.setState(agentId, run);
          if (run.phase === "VERIFY") verifyWritten();
        },
      },
    };
    env = await startInProc({ state });
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t");
    const one = await env.connect("alpha", 1);
    const two = await env.connect("alpha", 1);
    await walk(one, TO_EXECUTE);
    holding = true;
    const post = two.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "note",
      value: 1,
      expected_version: 0,
    });
    const verify = await one.call("phase_transition", { phase: "VERIFY" });
    expect(verify.isError, verify.text).toBe(false);
    expect((await post).isError).toBe(false);
    holding = false;
    const next = await one.call("phase_transition", { phase: "PACKAGE" });
    expect(next.isError, next.text).toBe(false);
    expect(await env.rt.ledger.revocations("alpha")).toEqual([]);
  });
});
