// One scenario per revocation trigger, through the real MCP client: each fires exactly at its
// threshold and not one call before; afterwards the agent is refused, its locks are free, a
// handoff describes what happened, and the ledger holds the revocation and the violation.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentClient, InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { givePacket, TO_EXECUTE, walk } from "../support/runs.js";

let env: InProc;
let orch: AgentClient;
beforeEach(async () => {
  env = await startInProc();
  orch = await env.connect("orchestrator", 3);
});
afterEach(async () => env.close());

/** The agent holds a lock in EXECUTE, so the test can see revocation free it. */
async function agentInExecute(agent: string, packet: Record<string, unknown> = {}) {
  await givePacket(orch, agent, "t1", packet);
  const a = await env.connect(agent, 1);
  await walk(a, TO_EXECUTE);
  const lock = await a.call("lock_acquire", { resource: `${agent}-db`, ttl_ms: 60_000 });
  expect(lock.isError, lock.text).toBe(false);
  return a;
}

async function expectRevoked(a: AgentClient, agent: string, reason: string) {
  const after = await a.call("whoami");
  expect(after).toMatchObject({ isError: true, code: "REVOKED" });
  expect(await env.rt.state.locks.status(`${agent}-db`)).toBeNull();
  const handoff = await orch.call("handoff_read", { task_id: "t1" });
  expect(handoff.isError, handoff.text).toBe(false);
  expect(handoff.data.found).toBe(true);
  const data = handoff.data.handoff as Record<string, unknown>;
  expect(data).toMatchObject({
    task_id: "t1",
    previous_agent_id: agent,
    revoked: true,
    revocation_reason: { type: reason },
    last_known_state: { phase: "EXECUTE" },
  });
  expect((data.what_was_tried as string[]).some((t) => t.includes("lock_acquire"))).toBe(true);
  expect(data.artifacts).toContain("plan");
  expect(await env.rt.ledger.revocations(agent)).toMatchObject([{ reason_type: reason }]);
  expect(await env.rt.ledger.violations(agent)).toMatchObject([{ violation_type: reason }]);
  expect((await env.rt.ledger.verify()).ok).toBe(true);
  return data;
}

describe("revocation triggers", () => {
  it("revokes on the first procedure violation by default (skipping a phase)", async () => {
    const a = await agentInExecute("alpha");
    const skip = await a.call("phase_transition", { phase: "PACKAGE" });
    expect(skip).toMatchObject({ isError: true, code: "PROCEDURE_VIOLATION" });
    expect(skip.text).toMatch(/skipping from EXECUTE to PACKAGE; the next phase is VERIFY/);
    await expectRevoked(a, "alpha", "PROCEDURE_VIOLATION");
  });

  it("fires a procedure budget of 2 at the second violation, not the first", async () => {
    const a = await agentInExecute("alpha", {
      error_budget: { max_procedure_violations: 2 },
    });
    const back = await a.call("phase_transition", { phase: "PLAN" });
    expect(back).toMatchObject({ isError: true, code: "PROCEDURE_VIOLATION" });
    expect(back.text).toMatch(/going back from EXECUTE to PLAN/);
    expect((await a.call("whoami")).isError).toBe(false);
    const early = await a.call("artifact_record", {
      name: "x",
      kind: "report",
      content: 1,
    });
    expect(early.isError).toBe(false); // allowed in EXECUTE: not a violation
    const wrongPhase = await a.call("phase_transition", { phase: "EXIT" });
    expect(wrongPhase).toMatchObject({ isError: true, code: "PROCEDURE_VIOLATION" });
    await expectRevoked(a, "alpha", "PROCEDURE_VIOLATION");
  });

  it("revokes when the same error repeats max_same_error_repeats (2) times", async () => {
    const a = await agentInExecute("beta");
    const first = await a.call("error_report", { error_type: "model_timeout", message: "slow" });
    expect(first.data).toMatchObject({ revoked: false, counters: { total_errors: 1 } });
    expect((await a.call("whoami")).isError).toBe(false);
    const second = await a.call("error_report", { error_type: "model_timeout", message: "again" });
    expect(second.data).toMatchObject({
      revoked: true,
      trigger: { reason: "SAME_ERROR_REPEATED" },
    });
    await expectRevoked(a, "beta", "SAME_ERROR_REPEATED");
  });

  it("counts refused calls as errors: the same bad input twice revokes", async () => {
    const a = await agentInExecute("beta");
    const bad = await a.call("lock_acquire", { resource: "", ttl_ms: 5 });
    expect(bad).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect((await a.call("whoami")).isError).toBe(false);
    await a.call("lock_acquire", { resource: "", ttl_ms: 5 });
    await expectRevoked(a, "beta", "SAME_ERROR_REPEATED");
  });

  it("revokes at max_total_errors (8) distinct errors and not at 7", async () => {
    const a = await agentInExecute("gamma");
    for (let i = 1; i <= 7; i++) {
      const r = await a.call("error_report", { error_type: `e${i}`, message: "x" });
      expect(r.data).toMatchObject({ revoked: false, counters: { total_errors: i } });
    }
    expect((await a.call("whoami")).isError).toBe(false);
    const eighth = await a.call("error_report", { error_type: "e8", message: "x" });
    expect(eighth.data).toMatchObject({
      revoked: true,
      trigger: { reason: "ERROR_BUDGET_EXCEEDED" },
    });
    await expectRevoked(a, "gamma", "ERROR_BUDGET_EXCEEDED");
  });

  it("revokes when a required deliverable is missing after EXECUTE", async () => {
    const a = await agentInExecute("delta", { deliverables: ["design-doc", "runbook"] });
    const doc = await a.call("artifact_record", {
      name: "design-doc",
      kind: "deliverable",
      content: "…",
    });
    expect(doc.isError).toBe(false);
    const verify = await a.call("phase_transition", { phase: "VERIFY" });
    expect(verify).toMatchObject({ isError: true, code: "REVOKED" });
    expect(verify.text).toMatch(/missing after EXECUTE: runbook/);
    const handoff = await expectRevoked(a, "delta", "MISSING_ARTIFACT");
    expect(handoff.required_next_actions).toContain("produce the missing deliverables: runbook");
  });

  it("passes VERIFY when every deliverable exists", async () => {
    const a = await agentInExecute("delta", { deliverables: ["design-doc"] });
    await a.call("artifact_record", { name: "design-doc", kind: "deliverable", content: "…" });
    expect((await a.call("phase_transition", { phase: "VERIFY" })).isError).toBe(false);
  });

  it("revokes on a forbidden action at once", async () => {
    const a = await agentInExecute("eps", { constraints: { forbidden: ["message_send"] } });
    const send = await a.call("message_send", {
      task_id: "t1",
      to: "ALL",
      type: "INFO",
      body: "hi",
    });
    expect(send).toMatchObject({ isError: true, code: "FORBIDDEN_ACTION" });
    await expectRevoked(a, "eps", "FORBIDDEN_ACTION");
  });

  it("tells the revoked agent's session that its tools changed", async () => {
    const a = await agentInExecute("zeta");
    const before = a.listChanged();
    await a.call("phase_transition", { phase: "REPORT" });
    await expect.poll(() => a.listChanged(), { timeout: 3000 }).toBeGreaterThan(before);
    expect((await a.client.listTools()).tools).toEqual([]);
  });
});
