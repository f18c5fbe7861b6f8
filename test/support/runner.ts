// Runs the bundled agents against an in-process agov (each agent on its own in-memory session),
// and answers an OpenAI-compatible fake with the offline model, for runner scenario tests.
import { z } from "zod";
import type { AgentHooks } from "../../agents/agent.js";
import { connectGoverned } from "../../agents/client.js";
import { STANCE, TASK } from "../../agents/llm-prompts.js";
import type { AgentRole, Model, ModelTaskKind } from "../../agents/model.js";
import { createOfflineModel } from "../../agents/offline-model.js";
import { PARTICIPANT_TIERS, type Participant, runTask } from "../../agents/orchestrator.js";
import type { ProgressEvent } from "../../agents/progress.js";
import type { Tier } from "../../src/authority/index.js";
import type { AgentTemplate } from "../../src/governance/templates.js";
import type { RuntimeOptions } from "../../src/runtime.js";
import { connectInMemory } from "../../src/server/memory.js";
import { answer, type Reply } from "./fake-openai.js";
import { type InProc, startInProc } from "./inproc.js";

export async function runInProc(opts: {
  objective: string;
  model?: Model;
  runtime?: RuntimeOptions;
  hooks?: AgentHooks;
  waitMs?: number;
  timeoutMs?: number;
  heartbeatMs?: number;
  replacements?: number;
  specialists?: Array<{ id: string; name: string; template: AgentTemplate }>;
  /** The orchestrator's and the agents' poll intervals, used only without subscriptions. */
  pollMs?: number;
  agentPollMs?: number;
  onStart?(env: InProc): void;
}) {
  const env = await startInProc(opts.runtime);
  opts.onStart?.(env);
  const agentIds: Record<Participant, string> = {
    ORCHESTRATOR: "orch",
    ALPHA: "alpha",
    BETA: "beta",
    GAMMA: "gamma",
  };
  const events: ProgressEvent[] = [];
  try {
    const result = await runTask({
      objective: opts.objective,
      taskId: "task-1",
      agentIds,
      model: opts.model ?? createOfflineModel(),
      timeoutMs: opts.timeoutMs ?? 60_000,
      pollMs: opts.pollMs ?? 50,
      agentPollMs: opts.agentPollMs ?? 10,
      waitMs: opts.waitMs ?? 5000,
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
      ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.replacements !== undefined ? { replacements: opts.replacements } : {}),
      ...(opts.specialists ? { specialists: opts.specialists } : {}),
      // The orchestrator's STUCK deadline is counted on the server's (injected) clock.
      ...(opts.runtime?.clock?.after ? { after: opts.runtime.clock.after } : {}),
      onProgress: (e) => events.push(e),
      async connect(who, agentId, tier) {
        const { token } = await env.rt.authority.issue({
          agent_id: agentId,
          tier: (tier ?? PARTICIPANT_TIERS[who]) as Tier,
          ttl_ms: 3_600_000,
        });
        const conn = await connectInMemory(env.gateway, token);
        return connectGoverned(agentId, conn.transport);
      },
    });
    return { result, events, env };
  } catch (err) {
    await env.close();
    throw err;
  }
}

/** Wraps a model so that every vote on a non-synthesis proposal comes out as `vote`. */
export function votingModel(base: Model, vote: "approve" | "reject"): Model {
  return {
    name: `${base.name}+${vote}`,
    async generate(req, schema) {
      const out = await base.generate(req, schema);
      if (req.kind === "vote" && !req.context.synthesis)
        return { ...(out as object), vote } as typeof out;
      return out;
    },
  };
}

/** Answers an LLM request the way the offline model would (decoding role, kind and context). */
export async function offlineReply(body: Record<string, unknown>): Promise<Reply> {
  const messages = body.messages as Array<{ role: string; content: string }>;
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const user = messages.filter((m) => m.role === "user")[0]?.content ?? "";
  // A specialist speaks in its own persona, and thinks offline as the neutral GAMMA does.
  const role =
    (Object.keys(STANCE) as AgentRole[]).find((r) => system.includes(STANCE[r])) ?? "GAMMA";
  const kind = (Object.keys(TASK) as ModelTaskKind[]).find((k) => user.includes(TASK[k]))!;
  const objective = /^Objective: (.*)$/m.exec(user)?.[1] ?? "";
  const context = JSON.parse(
    /Context \(JSON\):\n([\s\S]*?)\n\nReply with one JSON/.exec(user)![1]!,
  );
  const value = await createOfflineModel().generate(
    { role, kind, objective, context },
    z.unknown(),
  );
  return answer(value);
}
