// The pipeline tools over MCP, each at its tier: pipeline_run (T3), stage_run (T2, only for the
// assigned agent at the stage's tier), pipeline_status (T0), gate_approve (T4), and
// checkpoint_save / checkpoint_load (T1, scoped to the caller).
import { afterEach, describe, expect, it } from "vitest";
import type { AgentClient } from "../support/inproc.js";
import { type PipelineEnv, startPipelines } from "../support/pipelines.js";
import { walk } from "../support/runs.js";

let env: PipelineEnv;
afterEach(async () => env?.close());

describe("pipeline tools", () => {
  it("refuses pipeline_run to a T1 agent, hides it from its list, and audits the refusal", async () => {
    env = await startPipelines();
    const op = await env.connect("operator-1", 1);
    const listed = (await op.client.listTools()).tools.map((t) => t.name);
    expect(listed).toContain("checkpoint_save");
    expect(listed).not.toContain("pipeline_run");
    const r = await op.call("pipeline_run", { pipeline: "infrastructure-deploy" });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(
      /pipeline_run refused: requires tier T3 \(executor\); agent operator-1 is T1/,
    );
    expect(
      await env.rt.ledger.query({ agent_id: "operator-1", tool: "pipeline_run" }),
    ).toMatchObject([{ decision: "deny", error_type: "DENIED", tier: 1 }]);
    expect(await env.service.list()).toEqual([]);
  });

  it("refuses a pipeline whose stages would run above the caller's tier, or assign it to itself", async () => {
    env = await startPipelines();
    const exec = await env.connect("exec-1", 3);
    const source = `pipeline:
  name: lend-me-t4
  roles:
    boss: { tier: 4 }
  stages:
    - plan: { agent: planner, tier: 4 }
    - act: { agent: boss }
`;
    const r = await exec.call("pipeline_run", { source });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
    expect(r.text).toMatch(/plan \(T4\), act \(T4\) would run above exec-1's tier T3/);
    const self = await exec.call("pipeline_run", {
      pipeline: "infrastructure-deploy",
      assign: { plan: "exec-1" },
    });
    expect(self).toMatchObject({ isError: true, code: "DENIED" });
    expect(self.text).toMatch(/cannot assign stage plan to itself/);
    expect(await env.service.list()).toEqual([]);
  });

  it("runs a pipeline for a T3 caller; a T4 approves its gate, a T3 may not", async () => {
    env = await startPipelines();
    const exec = await env.connect("exec-1", 3);
    const architect = await env.connect("arch-1", 4);
    const observer = await env.connect("obs-1", 0);
    const started = await exec.call("pipeline_run", {
      pipeline: "infrastructure-deploy",
      objective: "Add a read replica to the orders database",
    });
    expect(started.isError, started.text).toBe(false);
    const run = String(started.data.run_id);
    expect(started.data).toMatchObject({ pipeline: "infrastructure-deploy", started_by: "exec-1" });
    let refused = "";
    env.onSleep = async () => {
      env.onSleep = null;
      refused = (await exec.call("gate_approve", { run_id: run, stage: "review" })).text;
      const ok = await architect.call("gate_approve", {
        run_id: run,
        stage: "review",
        reason: "replica only, no data change",
      });
      expect(ok.isError, ok.text).toBe(false);
    };
    const final = await env.service.wait(run);
    expect(final?.status).toBe("succeeded");
    expect(refused).toMatch(/gate_approve refused: requires tier T4/);
    const status = await observer.call("pipeline_status", { run_id: run });
    expect(status.data).toMatchObject({
      status: "succeeded",
      objective: "Add a read replica to the orders database",
      stages: [
        { name: "plan", status: "succeeded", role: "planner", tier: 0 },
        { name: "review", status: "approved", decided_by: "arch-1" },
        { name: "execute", status: "succeeded", role: "executor", tier: 3 },
      ],
    });
    const list = await observer.call("pipeline_status", {});
    expect(list.data.runs).toMatchObject([{ run_id: run, pipeline: "infrastructure-deploy" }]);
  });

  it("refuses to start a run whose agent stages nobody here can work, unless assigned", async () => {
    env = await startPipelines({ agents: false });
    const exec = await env.connect("exec-1", 3);
    const r = await exec.call("pipeline_run", { pipeline: "infrastructure-deploy" });
    expect(r).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(r.text).toMatch(/no stage agents run in this server: assign plan, execute to agents/);
    const assigned = await exec.call("pipeline_run", {
      pipeline: "infrastructure-deploy",
      assign: { plan: "someone", execute: "someone" },
    });
    expect(assigned.isError, assigned.text).toBe(false);
    const wrong = await exec.call("pipeline_run", {
      pipeline: "infrastructure-deploy",
      assign: { review: "someone" },
    });
    expect(wrong.text).toMatch(/assign: review is not an agent stage of infrastructure-deploy/);
  });

  it("refuses a malformed pipeline with its line, before anything runs", async () => {
    env = await startPipelines();
    const exec = await env.connect("exec-1", 3);
    const r = await exec.call("pipeline_run", {
      source: "pipeline:\n  name: x\n  stages:\n    - a: { agent: nobody }\n",
    });
    expect(r).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(r.text).toMatch(/<source>:4: stages\[0\]\.a\.agent: unknown agent "nobody"/);
    const both = await exec.call("pipeline_run", { pipeline: "x", source: "y" });
    expect(both.text).toMatch(/give exactly one of pipeline \(a name\) or source/);
    expect(await env.service.list()).toEqual([]);
  });

  it("lets only the assigned agent, at the stage's tier, take a stage with stage_run", async () => {
    env = await startPipelines({ wait: "real" });
    const exec = await env.connect("exec-1", 3);
    const builder = await env.connect("builder-1", 2);
    const intruder = await env.connect("intruder-1", 2);
    const started = await exec.call("pipeline_run", {
      source: `pipeline:
  name: assigned
  stages:
    - build: { agent: BETA, artifacts: [image] }
    - ship:  { agent: executor, requires: [build] }
`,
      assign: { build: "builder-1", ship: "builder-1" },
    });
    expect(started.isError, started.text).toBe(false);
    const run = String(started.data.run_id);
    await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "waiting");

    const stolen = await intruder.call("stage_run", { run_id: run, stage: "build" });
    expect(stolen).toMatchObject({ isError: true, code: "DENIED" });
    expect(stolen.text).toMatch(/assigned to builder-1, not to intruder-1/);
    const took = await builder.call("stage_run", { run_id: run, stage: "build" });
    expect(took.isError, took.text).toBe(false);
    expect(took.data).toMatchObject({
      task_id: `${run}/build`,
      packet: { deliverables: ["image"] },
    });
    await work(builder, `${run}/build`, "image");
    await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "succeeded");

    await env.waitFor((e) => e.type === "stage" && e.stage === "ship" && e.to === "waiting");
    const tooLow = await builder.call("stage_run", { run_id: run, stage: "ship" });
    expect(tooLow).toMatchObject({ isError: true, code: "DENIED" });
    expect(tooLow.text).toMatch(/stage ship asks for tier T3; builder-1 is T2/);
    env.clock.advance(31 * 60_000);
    const final = await env.service.wait(run);
    expect(final).toMatchObject({
      status: "failed",
      reason: "stage ship failed: builder-1 did not take the stage within 30m",
    });
    expect(final?.stages.build).toMatchObject({
      agents: ["builder-1"],
      artifacts: ["plan", "image"],
    });
  });

  it("keeps each agent's checkpoints to itself", async () => {
    env = await startPipelines();
    const a = await env.connect("agent-a", 1);
    const b = await env.connect("agent-b", 1);
    const saved = await a.call("checkpoint_save", { key: "progress", data: { step: 3 } });
    expect(saved.isError, saved.text).toBe(false);
    expect((await a.call("checkpoint_load", { key: "progress" })).data).toMatchObject({
      found: true,
      data: { step: 3 },
    });
    expect((await b.call("checkpoint_load", { key: "progress" })).data).toEqual({
      key: "progress",
      found: false,
    });
    const observer = await env.connect("obs-1", 0);
    expect(await observer.call("checkpoint_save", { key: "k", data: 1 })).toMatchObject({
      isError: true,
      code: "DENIED",
    });
  });
});

/** The assigned agent's own governed lifecycle on the stage's task. */
async function work(agent: AgentClient, taskId: string, artifact: string) {
  const boot = await agent.call("phase_transition", { phase: "BOOTSTRAP", task_id: taskId });
  expect(boot.isError, boot.text).toBe(false);
  await walk(agent, ["PREFLIGHT", "PLAN", "EXECUTE"]);
  const made = await agent.call("artifact_record", {
    name: artifact,
    kind: "deliverable",
    content: 1,
  });
  expect(made.isError, made.text).toBe(false);
  await walk(agent, ["VERIFY", "PACKAGE", "REPORT", "EXIT"]);
}
