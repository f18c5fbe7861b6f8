// pipeline_run (T3): validate a pipeline and start a run of it, driven in the server.
import { z } from "zod";
import { NAME_RE } from "../../src/pipeline/schema.js";
import { runSummary } from "../../src/pipeline/summary.js";
import { defineTool, type Elicit, type ToolContext } from "../define.js";
import { agentId } from "../fields.js";
import { runSummary as runOutput } from "../outputs.js";

const name = z.string().regex(NAME_RE, "expected a pipeline or stage name");

export const pipelineRun = defineTool({
  name: "pipeline_run",
  tier: 3,
  description:
    "Start a run of a pipeline: by name (a pipeline in the agov home or shipped with agov, e.g. infrastructure-deploy) or as YAML source. It is validated first (every problem named with its line), then driven in the server: each stage's work is done by a governed agent at the stage's tier, every transition is checkpointed, and human gates wait for gate_approve. assign gives stages to agents, who take them with stage_run. Returns the run id; follow it with pipeline_status.",
  input: z
    .strictObject({
      pipeline: name
        .optional()
        .describe("A pipeline by name (e.g. infrastructure-deploy); give this or source."),
      source: z
        .string()
        .min(1)
        .max(64_000)
        .optional()
        .describe("A pipeline as YAML source; give this or pipeline."),
      objective: z
        .string()
        .min(1)
        .max(4000)
        .optional()
        .describe("The run's objective, handed to each stage's agent."),
      assign: z
        .record(name, agentId)
        .optional()
        .describe(
          "Stages given to agents by name (stage → agent id), who take them with stage_run.",
        ),
    })
    .refine((v) => (v.pipeline === undefined) !== (v.source === undefined), {
      message: "give exactly one of pipeline (a name) or source (YAML)",
      path: ["pipeline"],
    }),
  output: runOutput,
  annotations: { title: "Run pipeline", readOnlyHint: false, idempotentHint: false },
  async handler(input, ctx) {
    const { text, file } = input.source
      ? { text: input.source, file: "<source>" }
      : ctx.pipelines.byName(input.pipeline!);
    const { record, done } = await ctx.pipelines.start({
      text,
      file,
      objective: input.objective,
      started_by: ctx.caller.agent_id,
      assign: input.assign,
      max_tier: ctx.caller.tier,
    });
    // The run goes on in the server; its outcome is read with pipeline_status.
    done.catch(() => {});
    // A caller who may decide gates, at a client that can ask its person, is asked there directly.
    if (ctx.elicit && ctx.granted.has("gate_approve"))
      askAtGates(ctx, record.run_id, ctx.elicit, done);
    return runSummary(record);
  },
});

function askAtGates(ctx: ToolContext, runId: string, elicit: Elicit, done: Promise<unknown>) {
  const stop = ctx.pipelines.watch((e) => {
    if (e.type !== "stage" || e.run_id !== runId || e.to !== "waiting") return;
    // Only human gates wait for a person; an assigned agent stage also "waits" (for its agent).
    if (e.kind !== "human-gate") return;
    void (async () => {
      try {
        // The person has until the gate's deadline to answer, not the SDK's default minute.
        const deadline = (await ctx.pipelines.status(runId))?.stages[e.stage]?.deadline;
        const timeoutMs = deadline ? Math.max(1000, deadline - ctx.clock.now()) : undefined;
        const answer = await elicit({
          ...(timeoutMs ? { timeoutMs } : {}),
          message: `Pipeline run ${runId} waits at gate "${e.stage}". Approve it?`,
          requestedSchema: {
            type: "object",
            properties: {
              decision: { type: "string", enum: ["approve", "reject"], title: "Decision" },
              reason: { type: "string", title: "Reason (optional)" },
            },
            required: ["decision"],
          },
        });
        const decision = answer.content?.decision;
        if (answer.action !== "accept" || (decision !== "approve" && decision !== "reject")) return;
        const reason =
          typeof answer.content?.reason === "string" ? answer.content.reason : undefined;
        // On the caller's own record, so `agov audit query --agent <id>` finds the decision.
        await ctx.pipelines.decide(runId, e.stage, {
          decision,
          by: ctx.caller.agent_id,
          reason: `asked in its MCP client${reason ? `: ${reason}` : ""}`,
        });
      } catch {
        // Declined, cancelled or disconnected: the gate still waits for gate_approve or the CLI.
      }
    })();
  });
  done.finally(stop).catch(() => {});
}
