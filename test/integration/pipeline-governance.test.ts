// A stage's declared artifact is the seed's revocation trigger: an agent that reaches VERIFY
// without it is revoked by governance; work that never records it is revoked by the engine. Either
// way the stage fails, a handoff is left, and a retry's fresh agent can pick the task up.
import { afterEach, describe, expect, it } from "vitest";
import { connectGoverned } from "../../agents/client.js";
import { createOfflineModel } from "../../agents/offline-model.js";
import { createStageAgent } from "../../agents/stage-agent.js";
import { connectInMemory } from "../../src/server/memory.js";
import { AgovError } from "../../src/util/errors.js";
import { type PipelineEnv, startPipelines } from "../support/pipelines.js";

let env: PipelineEnv;
afterEach(async () => env?.close());

const ONE_STAGE = (retry = 1) => `pipeline:
  name: tf
  stages:
    - plan: { agent: planner, artifacts: [terraform-plan], retry: ${retry} }
    - apply: { agent: executor, requires: [plan] }
`;

/** The bundled stage agent, but one that "forgets" its declared artifacts on chosen attempts. */
function forgetful(env: PipelineEnv, forgetOn: number[]) {
  const agent = createStageAgent({
    model: createOfflineModel(),
    async connect(agentId, token) {
      const conn = await connectInMemory(env.gateway, token);
      return connectGoverned(agentId, conn.transport);
    },
  });
  return (task: Parameters<typeof agent>[0]) =>
    agent(forgetOn.includes(task.attempt) ? { ...task, artifacts: [] } : task);
}

describe("missing artifacts", () => {
  it("revokes the agent that reaches VERIFY without its artifact, and fails the run", async () => {
    env = await startPipelines();
    env.service.executors.swap("plan", forgetful(env, [1]));
    const final = await env.run(ONE_STAGE());
    const agent = `${final.run_id}-plan-1`;

    expect(final.status).toBe("failed");
    expect(final.reason).toMatch(
      new RegExp(
        `^stage plan failed: ${agent} revoked: MISSING_ARTIFACT: required artifact\\(s\\) missing after EXECUTE: terraform-plan`,
      ),
    );
    expect(await env.rt.ledger.revocations(agent)).toMatchObject([
      { reason_type: "MISSING_ARTIFACT", revoked_by: "governance" },
    ]);
    // The VERIFY transition is on the record, and the revocation it caused right after it.
    // The agent's session closes after both (a session row), which is not what is checked here.
    const [last] = (await env.rt.ledger.query({ agent_id: agent, limit: 5 })).filter(
      (r) => r.kind !== "session",
    );
    const [before] = await env.rt.ledger.query({ agent_id: agent, kind: "tool_call", limit: 1 });
    expect(last).toMatchObject({ action: "revoked: MISSING_ARTIFACT", tool: "phase_transition" });
    expect(before).toMatchObject({ tool: "phase_transition", success: 0, error_type: "REVOKED" });
    const handoff = await env.rt.state.tasks.getHandoff(`${final.run_id}/plan`);
    expect(handoff).toMatchObject({
      previous_agent_id: agent,
      revocation_reason: { type: "MISSING_ARTIFACT" },
      last_known_state: { phase: "EXECUTE" },
    });
    expect(final.stages.apply!.status).toBe("pending");
    expect(await env.rt.ledger.query({ agent_id: `${final.run_id}-apply-1` })).toEqual([]);
  });

  it("revokes, from the engine, a stage implementation that never records the artifact", async () => {
    env = await startPipelines();
    env.service.executors.swap("plan", async () => ({ ok: true, summary: "trust me" }));
    const final = await env.run(ONE_STAGE());
    const agent = `${final.run_id}-plan-1`;
    expect(final.stages.plan).toMatchObject({ status: "failed" });
    expect(final.stages.plan!.reason).toMatch(
      /MISSING_ARTIFACT: required artifact\(s\) missing after stage plan: terraform-plan/,
    );
    expect(await env.rt.ledger.revocations(agent)).toMatchObject([
      { reason_type: "MISSING_ARTIFACT", revoked_by: `pipeline:${final.run_id}` },
    ]);
  });

  it("does not count an artifact someone else wrote into the stage's task", async () => {
    env = await startPipelines();
    const obs = await env.connect("obs-1", 0);
    const refusals: string[] = [];
    env.service.executors.swap("plan", async (task) => {
      // The stage's agent has started its run on this task (as BOOTSTRAP records it), so a
      // packetless observer may not write into it.
      await env.rt.state.tasks.setActiveAgent(task.task_id, task.agent_id);
      const r = await obs.call("artifact_record", {
        task_id: task.task_id,
        name: "terraform-plan",
        kind: "deliverable",
        content: { forged: true },
      });
      refusals.push(r.code ?? "accepted");
      // Even written behind the tools' back, an artifact by another author does not count.
      await env.rt.state.artifacts.put(task.task_id, "terraform-plan", {
        kind: "deliverable",
        author: "obs-1",
        content: { forged: true },
      });
      await env.rt.state.tasks.addArtifact(task.task_id, "terraform-plan");
      return { ok: true, summary: "done, honest" };
    });
    const final = await env.run(ONE_STAGE());
    expect(refusals).toEqual(["DENIED"]);
    expect(final.stages.plan).toMatchObject({ status: "failed" });
    expect(final.stages.plan!.reason).toMatch(/MISSING_ARTIFACT.*terraform-plan/);
  });

  it("enforces a stage's timeout on an agent that ignores being stopped, and retires it", async () => {
    env = await startPipelines();
    env.service.executors.swap("plan", () => new Promise(() => {})); // never answers
    const { done } = await env.service.start({
      text: "pipeline:\n  name: stuck\n  stages:\n    - plan: { agent: planner, timeout: 1s }\n",
      file: "stuck.yaml",
      started_by: "test",
    });
    await env.waitFor((e) => e.type === "stage" && e.stage === "plan" && e.to === "running");
    await new Promise((r) => setImmediate(r));
    env.clock.advance(1000); // the stage's deadline: the agent is told to stop, and ignores it
    await new Promise((r) => setImmediate(r));
    env.clock.advance(5000); // the grace period after which it is left behind
    const final = await done;
    expect(final.status).toBe("failed");
    expect(final.stages.plan!.reason).toMatch(/timed out after 1s/);
    const tokens = (await env.rt.authority.list()).filter(
      (t) => t.agent_id === `${final.run_id}-plan-1`,
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.revoked).toBe(true);
  });

  it("lets a retry's fresh agent read the handoff and finish the stage", async () => {
    env = await startPipelines();
    const handoffs: boolean[] = [];
    const inner = forgetful(env, [1]);
    env.service.executors.swap("plan", async (task) => {
      handoffs.push(task.handoff);
      return inner(task);
    });
    const final = await env.run(ONE_STAGE(2));
    expect(final.status).toBe("succeeded");
    expect(handoffs).toEqual([false, true]);
    expect(final.stages.plan).toMatchObject({
      status: "succeeded",
      agents: [`${final.run_id}-plan-1`, `${final.run_id}-plan-2`],
    });
    expect(await env.rt.ledger.revocations(`${final.run_id}-plan-2`)).toEqual([]);
    const reads = await env.rt.ledger.query({
      agent_id: `${final.run_id}-plan-2`,
      tool: "handoff_read",
    });
    expect(reads).toHaveLength(1);
  });
});

describe("a stage agent's token", () => {
  it("is withdrawn after its stage, and a failure to withdraw it is on the ledger", async () => {
    let refused = 0;
    env = await startPipelines({
      authority: (real) => ({
        ...real,
        async revokeAgent(agentId) {
          if (agentId.endsWith("-plan-1")) {
            refused++;
            throw new AgovError("UNAVAILABLE", "authority unreachable");
          }
          return real.revokeAgent(agentId);
        },
      }),
    });
    const final = await env.run(ONE_STAGE());
    expect(final.status).toBe("succeeded");
    expect(refused).toBeGreaterThan(0);
    const rows = await env.rt.ledger.query({ kind: "token", limit: 100 });
    const failed = rows.filter((r) => r.agent_id === `${final.run_id}-plan-1`);
    expect(failed[0]).toMatchObject({ success: 0, error_type: "UNAVAILABLE" });
    expect(failed[0]?.action).toMatch(/failed, it stays valid until its TTL/);
    // The other stage's agent was withdrawn as usual; the refused one's token is still live.
    const live = (agent: string) =>
      env.rt.authority
        .list()
        .then((ts) => ts.filter((t) => t.agent_id === agent && !t.revoked).length);
    expect(await live(`${final.run_id}-apply-1`)).toBe(0);
    expect(await live(`${final.run_id}-plan-1`)).toBe(1);
  });
});
