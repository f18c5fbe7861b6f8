// Wires the bundled stage agent (agents/stage-agent.ts) into a runtime's pipeline service: each
// stage's agent is an MCP client of this gateway on its own in-memory session, with its own token.
import { connectGoverned } from "../../agents/client.js";
import type { Model } from "../../agents/model.js";
import type { ProgressEvent } from "../../agents/progress.js";
import { createStageAgent } from "../../agents/stage-agent.js";
import type { Config } from "../config/index.js";
import type { StageExecutor } from "../pipeline/index.js";
import type { Gateway } from "../server/gateway.js";
import { connectInMemory } from "../server/memory.js";
import { modelFromConfig } from "./model-config.js";
import { watchModel } from "./model-health.js";

export interface StageAgentsOptions {
  config?: Config;
  model?: Model;
  onProgress?: (e: ProgressEvent) => void;
}

export function installStageAgents(gateway: Gateway, opts: StageAgentsOptions = {}): Model {
  const { executor, model } = stageAgents(gateway, opts);
  gateway.runtime.pipelines.executors.setDefault(executor);
  return model;
}

/** The bundled stage agent and the model it thinks with, not yet installed. */
export function stageAgents(
  gateway: Gateway,
  opts: StageAgentsOptions = {},
): { executor: StageExecutor; model: Model } {
  const model = watchModel(opts.model ?? modelFromConfig(opts.config), gateway.runtime.health);
  const executor = createStageAgent({
    model,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    async connect(agentId, token) {
      const conn = await connectInMemory(gateway, token);
      return connectGoverned(agentId, conn.transport);
    },
  });
  return { executor, model };
}
