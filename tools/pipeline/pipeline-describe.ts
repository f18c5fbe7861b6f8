// pipeline_describe (T0): which pipelines can be run by name, or one pipeline's stages as
// validated: what runs at which tier, which commands and GitHub calls, where a person decides.
import { z } from "zod";
import { NAME_RE } from "../../src/pipeline/schema.js";
import { defineTool } from "../define.js";

const name = z.string().regex(NAME_RE, "expected a pipeline name");

export const pipelineDescribe = defineTool({
  name: "pipeline_describe",
  tier: 0,
  description:
    "The pipelines that can be run by name (without pipeline), or one pipeline as validated: each stage in run order with its kind (agent, human-gate, command, github), tier, what it requires, its agent's role and artifacts, its commands or its GitHub action. Shows what pipeline_run would do before anyone runs it.",
  input: z.strictObject({
    pipeline: name
      .optional()
      .describe("A pipeline by name (e.g. infrastructure-deploy); without it, the list of names."),
  }),
  output: z.strictObject({
    pipelines: z.array(z.string()).optional().describe("Without pipeline: the names"),
    name: z.string().optional(),
    description: z.string().optional(),
    stages: z
      .array(
        z.looseObject({
          name: z.string(),
          kind: z.string(),
          tier: z.number().int().nullable(),
          requires: z.array(z.string()),
        }),
      )
      .optional(),
  }),
  annotations: { title: "Describe pipeline", readOnlyHint: true, idempotentHint: true },
  async handler(input, { pipelines }) {
    if (input.pipeline === undefined) return { pipelines: pipelines.names() };
    const { text, file } = pipelines.byName(input.pipeline);
    const def = pipelines.validate(text, file);
    return {
      name: def.name,
      description: def.description,
      stages: def.stages.map((s) => ({
        name: s.name,
        kind: s.kind,
        tier: s.kind === "human-gate" ? null : s.tier,
        requires: s.requires,
        ...(s.when ? { when: s.when.text } : {}),
        ...(s.kind === "agent" ? { role: s.role, artifacts: s.artifacts } : {}),
        ...(s.kind === "human-gate" ? { prompt: s.prompt } : {}),
        ...(s.kind === "command" ? { commands: s.steps.map((c) => c.argv.join(" ")) } : {}),
        ...(s.kind === "github" ? { repo: s.repo, action: s.action } : {}),
      })),
    };
  },
});
