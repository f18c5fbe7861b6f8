// Every chaos invariant can fail: each checker is fed a record that breaks it (and one that keeps
// it), so a table full of "ok" means the runs kept them, not that the checks cannot see.
import { describe, expect, it } from "vitest";
import {
  answered,
  argsDigest,
  type Evidence,
  emptyEvidence,
  type LedgerRow,
  type Op,
} from "../../agents/chaos/history.js";
import { SCENARIOS } from "../../agents/chaos/index.js";
import {
  checkAcked,
  checkOutcomes,
  checkRecovered,
  checkRevoked,
  checkStageOnce,
  checkVerify,
  INVARIANTS,
} from "../../agents/chaos/invariants.js";
import { checkFences, checkOneHolder } from "../../agents/chaos/invariants-locks.js";
import { createRng } from "../../agents/chaos/rng.js";
import { SCENARIO_NAMES } from "../../src/cli/commands.js";
import { argsDigest as ledgerDigest } from "../../src/util/json.js";

const lease = (
  holder: string,
  fence: number,
  from: number,
  to: number,
  id = `${holder}-${fence}`,
) => ({
  resource: "db",
  holder,
  lease_id: id,
  fence,
  grantedAfter: from - 5,
  grantedBy: from,
  heldUntil: to,
});

function row(id: number, over: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id,
    kind: "tool_call",
    agent_id: "w1",
    tool: "blackboard_post",
    action: "tools/call",
    decision: "allow",
    success: true,
    error_type: null,
    args_digest: null,
    detail: null,
    ...over,
  };
}

const postArgs = {
  task_id: "chaos",
  section: "solutions",
  key: "w1-1",
  value: { n: 1 },
  expected_version: 0,
};
function post(outcome: Op["outcome"] = "ok"): Op {
  return {
    agent: "w1",
    tool: "blackboard_post",
    args: postArgs,
    sentAt: 1,
    doneAt: 2,
    outcome,
    attempts: 1,
    ...(outcome === "ok" ? { data: { version: 1 } } : { code: "UNAVAILABLE" }),
  };
}
const entry = { section: "solutions", key: "w1-1", version: 1, value: { n: 1 }, author: "w1" };

function ev(over: Partial<Evidence>): Evidence {
  return { ...emptyEvidence(true), ledger: [], ...over };
}

describe("chaos invariants", () => {
  it("sees two holders of one lock at once, and not two in turn", () => {
    expect(
      checkOneHolder(ev({ leases: [lease("a", 1, 100, 300), lease("b", 2, 200, 400)] })).status,
    ).toBe("FAIL");
    expect(
      checkOneHolder(ev({ leases: [lease("a", 1, 100, 200), lease("b", 2, 250, 400)] })).status,
    ).toBe("ok");
    // The same lease told twice (an idempotent replay) is one holder.
    expect(
      checkOneHolder(ev({ leases: [lease("a", 1, 100, 300), lease("a", 1, 150, 300)] })).status,
    ).toBe("ok");
  });

  it("sees a fence that did not grow, only where the order is certain", () => {
    expect(
      checkFences(ev({ leases: [lease("a", 5, 100, 200), lease("b", 1, 300, 400)] })).status,
    ).toBe("FAIL");
    expect(
      checkFences(ev({ leases: [lease("a", 1, 100, 200), lease("b", 1, 300, 400, "b-x")] })).status,
    ).toBe("FAIL");
    expect(
      checkFences(ev({ leases: [lease("a", 1, 100, 200), lease("b", 2, 300, 400)] })).status,
    ).toBe("ok");
  });

  it("sees an acknowledged call missing from the ledger, or its effect missing", () => {
    const recorded = row(1, { args_digest: argsDigest(postArgs) });
    expect(checkAcked(ev({ ops: [post()], ledger: [], board: [entry] })).status).toBe("FAIL");
    expect(checkAcked(ev({ ops: [post()], ledger: [recorded], board: [] })).status).toBe("FAIL");
    expect(checkAcked(ev({ ops: [post()], ledger: [recorded], board: [entry] })).status).toBe("ok");
    // Without persistence the effect is not promised, the row still is.
    expect(
      checkAcked(ev({ ops: [post()], ledger: [recorded], board: [], durable: false })).status,
    ).toBe("ok");
  });

  it("sees a row without an outcome, and a failure on the record that took effect", () => {
    const open = row(1, { success: null, error_type: null });
    expect(checkOutcomes(ev({ ledger: [open] })).status).toBe("FAIL");
    expect(checkOutcomes(ev({ ledger: [open], gatewayKilled: true })).status).toBe("ok");
    const failed = row(1, {
      success: false,
      error_type: "UNAVAILABLE",
      args_digest: argsDigest(postArgs),
    });
    expect(
      checkOutcomes(ev({ ledger: [failed], ops: [post("unknown")], board: [entry] })).status,
    ).toBe("FAIL");
    const unknown = { ...failed, success: null };
    expect(
      checkOutcomes(ev({ ledger: [unknown], ops: [post("unknown")], board: [entry] })).status,
    ).toBe("ok");
    expect(
      checkOutcomes(ev({ ledger: [unknown], ops: [post("refused")], board: [entry] })).status,
    ).toBe("FAIL");
  });

  it("fails a ledger that did not verify", () => {
    expect(checkVerify(ev({ verify: { ok: false, detail: "modified at row 3" } })).status).toBe(
      "FAIL",
    );
    expect(checkVerify(ev({ verify: null })).status).toBe("FAIL");
    expect(checkVerify(ev({ verify: { ok: true, detail: "intact" } })).status).toBe("ok");
  });

  it("sees a stage run again after its agent finished", () => {
    const run = "deploy-1a";
    const done = row(5, { kind: "run", agent_id: `${run}-plan-1`, detail: { compliant: true } });
    const again = row(9, { agent_id: `${run}-plan-2`, tool: "phase_transition" });
    expect(checkStageOnce(ev({ pipelineRuns: [run], ledger: [done, again] })).status).toBe("FAIL");
    const retried = row(3, { agent_id: `${run}-plan-1`, tool: "phase_transition" });
    const second = row(6, { kind: "run", agent_id: `${run}-plan-2`, detail: { compliant: true } });
    expect(checkStageOnce(ev({ pipelineRuns: [run], ledger: [retried, second] })).status).toBe(
      "ok",
    );
  });

  it("sees a revoked agent served, on the ledger or by the probe", () => {
    const revoked = row(2, { kind: "revocation", agent_id: "p", tool: null });
    const served = row(3, { agent_id: "p", tool: "lock_status" });
    expect(checkRevoked(ev({ ledger: [revoked, served] })).status).toBe("FAIL");
    expect(
      checkRevoked(
        ev({ ledger: [revoked], revokedProbes: [{ agent: "p", served: 1, refused: 3 }] }),
      ).status,
    ).toBe("FAIL");
    const refused = row(3, { agent_id: "p", tool: "lock_status", decision: "deny" });
    expect(checkRevoked(ev({ ledger: [revoked, refused] })).status).toBe("ok");
  });

  it("fails a server that did not come back", () => {
    expect(
      checkRecovered(ev({ recovery: { kind: "not-recovered", detail: "exited" } })).status,
    ).toBe("FAIL");
    expect(
      checkRecovered(ev({ recovery: { kind: "recovered", ms: 120, restarted: false } })),
    ).toEqual({
      status: "ok",
      detail: "in 0.1 s, no restart",
    });
  });

  it("fails every ledger invariant when the ledger could not be read", () => {
    const none = { ...emptyEvidence(true), ops: [post()] };
    for (const inv of INVARIANTS.filter((i) => ["acked", "outcomes", "revoked"].includes(i.id)))
      expect(inv.check(none).status, inv.id).toBe("FAIL");
  });
});

describe("chaos plumbing", () => {
  it("replays the same schedule from the same seed", () => {
    const draw = (seed: number) => {
      const r = createRng(seed).fork("redis-stall");
      return Array.from({ length: 5 }, () => r.int(0, 1000));
    };
    expect(draw(13)).toEqual(draw(13));
    expect(draw(13)).not.toEqual(draw(14));
  });

  it("names the same scenarios in agov chaos --help as it runs", () => {
    expect(SCENARIO_NAMES.split(", ")).toEqual(SCENARIOS.map((s) => s.name));
  });

  it("digests a workload's arguments exactly as the ledger does", () => {
    for (const args of [
      postArgs,
      { resource: "db", ttl_ms: 2000 },
      { resource: "queue", lease_id: "c0ffee" },
      { b: 1, a: { d: [1, { f: 2, e: 3 }], c: "x" } },
    ])
      expect(argsDigest(args)).toBe(ledgerDigest(args));
  });

  it("counts a deliberate refusal as an answer from a working server, an outage refusal not", () => {
    const op = (o: Partial<Op>): Op => ({
      agent: "w1",
      tool: "lock_acquire",
      args: {},
      sentAt: 0,
      doneAt: 1,
      outcome: "refused",
      attempts: 1,
      ...o,
    });
    expect(answered(op({ outcome: "ok" }))).toBe(true);
    expect(answered(op({ code: "UNAVAILABLE", reason: "LOCKS_HELD_AFTER_DATA_LOSS" }))).toBe(true);
    expect(answered(op({ code: "UNAVAILABLE", reason: "DEPENDENCY_DOWN" }))).toBe(false);
    expect(answered(op({ code: "UNAVAILABLE" }))).toBe(false);
    expect(answered(op({ outcome: "unknown" }))).toBe(false);
  });
});
