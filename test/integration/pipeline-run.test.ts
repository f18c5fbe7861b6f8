// The seed's example pipeline end to end in-process with the offline model: each stage's agent
// works under governance at its stage's tier, artifacts land in task:{id}:artifacts, every
// transition is a checkpoint with a ledger row, and the human gate holds until approved.
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/pipeline/index.js";
import { type PipelineEnv, startPipelines, transitions } from "../support/pipelines.js";

let env: PipelineEnv;
afterEach(async () => env?.close());

const agentRows = async (env: PipelineEnv, agent: string) =>
  await env.rt.ledger.query({ agent_id: agent, newest_first: false, limit: 1000 });

describe("infrastructure-deploy (the seed's example)", () => {
  it("runs plan → review → execute, holding at the gate until approved", async () => {
    env = await startPipelines();
    const { text, file } = env.service.byName("infrastructure-deploy");
    const { record, done } = await env.service.start({ text, file, started_by: "operator:test" });
    const run = record.run_id;
    let atGate: RunRecord | null = null;
    env.onSleep = async () => {
      if (atGate) return;
      // The run is parked at the gate: nothing after it has started.
      atGate = await env.service.status(run);
      expect(await agentRows(env, `${run}-execute-1`)).toEqual([]);
      await env.service.decide(run, "review", { decision: "approve", by: "operator:test" });
    };
    const final = await done;

    expect(atGate).toMatchObject({
      status: "waiting",
      stages: {
        plan: { status: "succeeded" },
        review: { status: "waiting" },
        execute: { status: "pending" },
      },
    });
    expect(final.status).toBe("succeeded");
    expect(final.stages.review).toMatchObject({ status: "approved", decided_by: "operator:test" });
    expect(transitions(env.events)).toEqual([
      "plan:pending→running",
      "plan:running→succeeded",
      "review:pending→waiting",
      "review:waiting→approved",
      "execute:pending→running",
      "execute:running→succeeded",
    ]);

    // Artifacts: recorded by the stage's agent in the stage's task.
    expect(await env.rt.state.tasks.artifacts(`${run}/plan`)).toEqual(
      expect.arrayContaining(["plan", "terraform-plan", "stage-report"]),
    );
    const tfPlan = await env.rt.state.artifacts.get(`${run}/plan`, "terraform-plan");
    expect(tfPlan).toMatchObject({ kind: "deliverable", author: `${run}-plan-1` });

    // Governance: each agent's calls are audited at its stage's tier, through the whole lifecycle.
    const planRows = await agentRows(env, `${run}-plan-1`);
    expect(new Set(planRows.map((r) => r.tier))).toEqual(new Set([0]));
    expect(planRows.filter((r) => r.tool === "phase_transition")).toHaveLength(8);
    expect(planRows.some((r) => r.tool === "artifact_record")).toBe(true);
    const execRows = await agentRows(env, `${run}-execute-1`);
    expect(new Set(execRows.map((r) => r.tier))).toEqual(new Set([3]));
    expect(await env.rt.ledger.metrics(`${run}-execute-1`)).toMatchObject({ compliant_runs: 1 });

    // Checkpoints: one ledger row per transition, the stored record at the same sequence.
    const rows = (await agentRows(env, `pipeline:${run}`)).map((r) => r.action);
    expect(rows.filter((a) => / stage \w+: /.test(a))).toHaveLength(6);
    expect(rows.at(-1)).toMatch(/#\d+: run succeeded$/);
    const stored = await env.rt.state.pipelineRuns.get(run);
    expect(stored).not.toBeNull();
    expect((stored as RunRecord).seq).toBe(rows.length);
    expect((await env.rt.ledger.verify()).ok).toBe(true);

    // Nothing is left behind: the run's lock and the agents' execution locks are free, the
    // stage agents' tokens withdrawn.
    expect(await env.rt.state.locks.status(`pipeline:run:${run}`)).toBeNull();
    expect(await env.rt.state.locks.status(`agent:${run}-plan-1:exec`)).toBeNull();
    const tokens = await env.rt.authority.list();
    const stageTokens = tokens.filter((t) => t.agent_id.startsWith(run));
    expect(stageTokens.length).toBeGreaterThanOrEqual(2);
    expect(stageTokens.every((t) => t.revoked)).toBe(true);
  });

  it("gives a stage's agent the tier the stage asks for, and declared roles theirs", async () => {
    env = await startPipelines();
    const final = await env.run(`pipeline:
  name: tiers
  roles:
    auditor: { tier: 1 }
  stages:
    - check:  { agent: auditor, artifacts: [audit] }
    - review: { uses: code-review, tier: 4 }
`);
    expect(final.status).toBe("succeeded");
    const tierOf = async (agent: string) =>
      new Set((await agentRows(env, agent)).map((r) => r.tier));
    expect(await tierOf(`${final.run_id}-check-1`)).toEqual(new Set([1]));
    expect(await tierOf(`${final.run_id}-review-1`)).toEqual(new Set([4]));
    expect(await env.rt.state.tasks.artifacts(`${final.run_id}/review`)).toContain("review-report");
  });
});

describe("the list of runs", () => {
  it("keeps every run when several start at the same moment", async () => {
    const env = await startPipelines({ agents: false });
    try {
      env.service.executors.setDefault(async () => ({ ok: true }));
      const text = "pipeline:\n  name: p\n  stages:\n    - a: { agent: planner }\n";
      const started = await Promise.all(
        [1, 2, 3, 4].map(() => env.service.start({ text, file: "p.yaml", started_by: "t" })),
      );
      await Promise.all(started.map((s) => s.done));
      const listed = (await env.service.list()).map((r) => r.run_id).sort();
      expect(listed).toEqual(started.map((s) => s.record.run_id).sort());
    } finally {
      await env.close();
    }
  });
});
