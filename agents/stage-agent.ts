// The bundled stage agent: does one pipeline stage's work as a governed MCP client with its own
// token — walks the lifecycle, plans and writes each declared artifact with the model, records
// them with artifact_record — so the stage is audited and its artifacts land in task:{id}:artifacts.

import type { StageOutcome, StageTask } from "../protocol/pipeline.js";
import { AgentStopped, createAgentKit } from "./agent.js";
import { AgentRevoked, type GovernedClient } from "./client.js";
import type { AgentRole, Model } from "./model.js";
import type { ProgressEvent } from "./progress.js";
import { Plan, Proposal } from "./schemas.js";

/** What agov's pipeline engine hands a stage, and what the stage tells it back. */
export type StageAgentTask = StageTask;
export type StageAgentOutcome = StageOutcome;

export interface StageAgentOptions {
  /** Connects the stage's agent to agov with the token the engine issued for it. */
  connect(agentId: string, token: string): Promise<GovernedClient>;
  model: Model;
  onProgress?(e: ProgressEvent): void;
}

/** Which of the model's personas thinks for a pipeline role. */
export function personaOf(role: string): AgentRole {
  if (role === "ALPHA" || role === "BETA" || role === "GAMMA") return role;
  if (role === "planner") return "ALPHA";
  if (role === "reviewer") return "GAMMA";
  return "BETA";
}

export function createStageAgent(opts: StageAgentOptions) {
  return async function runStage(task: StageAgentTask): Promise<StageAgentOutcome> {
    const client = await opts.connect(task.agent_id, task.token);
    const kit = createAgentKit({
      client,
      role: personaOf(task.role.name),
      agentId: task.agent_id,
      taskId: task.task_id,
      objective: task.objective,
      model: opts.model,
      progress: (e) => opts.onProgress?.(e),
      signal: task.signal,
      waitMs: 0,
      pollMs: 50,
      counters: { modelCalls: 0 },
    });
    const about = {
      pipeline: task.pipeline,
      stage: task.stage,
      role: task.role.name,
      artifacts: task.artifacts,
      inputs: task.inputs,
    };
    try {
      await kit.phase("BOOTSTRAP", `stage ${task.stage}, attempt ${task.attempt}`);
      await kit.phase("PREFLIGHT");
      await client.must("packet_get");
      const handoff = task.handoff
        ? await client.must("handoff_read", { task_id: task.task_id })
        : null;
      await kit.phase("PLAN");
      const plan = await kit.think(
        "plan",
        { ...about, ...(handoff?.found ? { handoff: handoff.handoff } : {}) },
        Plan,
      );
      await kit.artifact("plan", "plan", plan);
      await kit.phase("EXECUTE");
      for (const name of task.artifacts) {
        const work = await kit.think("proposal", { ...about, artifact: name, plan }, Proposal);
        await kit.artifact(name, "deliverable", {
          artifact: name,
          stage: task.stage,
          role: task.role.name,
          title: work.title,
          summary: work.summary,
          steps: plan.steps,
          components: work.components,
          tradeoffs: work.tradeoffs,
          risks: plan.risks,
          confidence: work.confidence,
        });
      }
      await kit.phase("VERIFY");
      await kit.phase("PACKAGE");
      await kit.artifact("stage-report", "report", {
        stage: task.stage,
        attempt: task.attempt,
        plan: plan.summary,
        artifacts: task.artifacts,
      });
      await kit.phase("REPORT");
      await kit.phase("EXIT");
      return { ok: true, summary: plan.summary };
    } catch (err) {
      if (err instanceof AgentRevoked || err instanceof AgentStopped)
        return { ok: false, error: err.message };
      return { ok: false, error: (err as Error).message ?? String(err) };
    } finally {
      await client.close().catch(() => {});
    }
  };
}
