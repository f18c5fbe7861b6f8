// Human gates on an injected clock: a rejection stops the run, a gate past its timeout fails it with
// a clear reason; neither leaves a lock held. Decisions are taken only while the gate waits, once.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/pipeline/index.js";
import { type PipelineEnv, startPipelines } from "../support/pipelines.js";

let env: PipelineEnv;
beforeEach(async () => {
  env = await startPipelines();
});
afterEach(async () => env.close());

async function startSeed() {
  const { text, file } = env.service.byName("infrastructure-deploy");
  return env.service.start({ text, file, started_by: "operator:test" });
}

/** No lock of the run or of any of its stage agents is still held. */
async function expectNoLocks(final: RunRecord) {
  const { locks } = env.rt.state;
  expect(await locks.status(`pipeline:run:${final.run_id}`)).toBeNull();
  for (const s of Object.values(final.stages))
    for (const agent of s.agents) expect(await locks.status(`agent:${agent}:exec`)).toBeNull();
}

describe("human gates", () => {
  it("stops the run on a rejection; the stage after the gate never starts", async () => {
    const { record, done } = await startSeed();
    env.onSleep = async () => {
      env.onSleep = null;
      await env.service.decide(record.run_id, "review", {
        decision: "reject",
        by: "operator:alice",
        reason: "the plan destroys the database",
      });
    };
    const final = await done;
    expect(final.status).toBe("rejected");
    expect(final.reason).toBe(
      "gate review rejected by operator:alice: the plan destroys the database",
    );
    expect(final.stages.execute).toMatchObject({ status: "pending", agents: [] });
    expect(await env.rt.ledger.query({ agent_id: `${final.run_id}-execute-1` })).toEqual([]);
    await expectNoLocks(final);
    await expect(env.service.resume(final.run_id, "test")).rejects.toThrow(/has rejected/);
  });

  it("fails the run when no one decides within the timeout, after exactly 30 minutes", async () => {
    const { record, done } = await startSeed();
    const final = await done;
    const waitedAt = env.events.find((e) => e.type === "stage" && e.to === "waiting");
    expect(waitedAt).toBeDefined();
    expect(final.status).toBe("failed");
    expect(final.reason).toMatch(
      /^gate review timed out: no decision within 30m \(deadline \d{4}-\d\d-\d\dT[\d:.]+Z\)$/,
    );
    expect(final.stages.review!.status).toBe("timed_out");
    expect(env.sleeps.reduce((a, b) => a + b, 0)).toBe(30 * 60_000);
    expect(final.stages.execute!.status).toBe("pending");
    await expectNoLocks(final);
    await expect(
      env.service.decide(record.run_id, "review", { decision: "approve", by: "operator:late" }),
    ).rejects.toThrow(/gate review of run .* is timed_out, not waiting/);
  });

  it("takes a decision only while the gate waits, only once, and only for a gate", async () => {
    const { record, done } = await startSeed();
    const run = record.run_id;
    const early = await env.service
      .decide(run, "review", { decision: "approve", by: "operator:eager" })
      .catch((e: Error) => e.message);
    expect(early).toMatch(/^gate review of run \S+ is pending, not waiting for a decision$/);
    let second = "";
    let onAgent = "";
    env.onSleep = async () => {
      env.onSleep = null;
      await env.service.decide(run, "review", { decision: "approve", by: "operator:bob" });
      second = await env.service
        .decide(run, "review", { decision: "reject", by: "operator:carol" })
        .then(
          () => "accepted",
          (e: Error) => e.message,
        );
      onAgent = await env.service
        .decide(run, "plan", { decision: "approve", by: "operator:bob" })
        .then(
          () => "accepted",
          (e: Error) => e.message,
        );
    };
    const final = await done;
    expect(final.status).toBe("succeeded");
    expect(second).toMatch(/was already approved by operator:bob/);
    expect(onAgent).toBe("stage plan is an agent stage, not a human gate");
    const rows = await env.rt.ledger.query({ agent_id: "operator:bob" });
    expect(rows.map((r) => r.action)).toEqual([
      expect.stringMatching(/^gate approve: pipeline infrastructure-deploy run .* stage review$/),
    ]);
  });
});

describe("two decisions at once", () => {
  it("accepts exactly one of two simultaneous decisions on a gate", async () => {
    const env = await startPipelines();
    try {
      const { text, file } = env.service.byName("infrastructure-deploy");
      const { record, done } = await env.service.start({ text, file, started_by: "t" });
      let outcomes: string[] = [];
      env.onSleep = async () => {
        env.onSleep = null;
        const rs = await Promise.allSettled([
          env.service.decide(record.run_id, "review", {
            decision: "approve",
            by: "operator:alice",
          }),
          env.service.decide(record.run_id, "review", { decision: "reject", by: "operator:bob" }),
        ]);
        outcomes = rs.map((r) => r.status);
      };
      const final = await done;
      expect(outcomes.sort()).toEqual(["fulfilled", "rejected"]);
      const gateRows = (await env.rt.ledger.query({ limit: 1000 })).filter((r) =>
        r.action.startsWith("gate "),
      );
      expect(gateRows).toHaveLength(1);
      const decidedBy = gateRows[0]!.agent_id;
      expect(final.status).toBe(decidedBy === "operator:alice" ? "succeeded" : "rejected");
    } finally {
      await env.close();
    }
  });
});

describe("a reopened gate", () => {
  it("ignores a decision left from its last wait and waits for a new one", async () => {
    const env = await startPipelines();
    try {
      const { text, file } = env.service.byName("infrastructure-deploy");
      const { record, done } = await env.service.start({ text, file, started_by: "t" });
      const first = await done;
      expect(first.stages.review!.status).toBe("timed_out");
      // A decision written at the deadline instant, after the engine had timed the gate out.
      await env.rt.state.pipelineRuns.putDecision(record.run_id, "review", {
        decision: "approve",
        by: "operator:late",
        reason: "",
        at: env.rt.clock.now(),
      });
      const again = await env.service.resume(record.run_id, "operator:cli");
      const final = await again.done;
      expect(final.stages.review!.status).toBe("timed_out");
      expect(final.stages.execute!.status).toBe("pending");
    } finally {
      await env.close();
    }
  });
});
