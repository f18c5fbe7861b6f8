// A tool as tools/list shows it: its JSON Schemas come from its zod input and output. Converting
// every tool's schemas costs about 80 ms of CPU, a fifth of a cold start, so the bundle (scripts/
// bundle.mjs) converts the bundled tools once at build time and embeds the result; from source,
// or for a tool the bundle does not know, they are converted here.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolDef } from "../../tools/define.js";
import { IDEMPOTENCY_FIELD, keySchema } from "./idempotency.js";

interface Schemas {
  input: Record<string, unknown>;
  output: Record<string, unknown>;
}

// Replaced by the bundler with { [tool name]: Schemas }; undeclared (so undefined) from source.
declare const __AGOV_TOOL_SCHEMAS__: Record<string, Schemas> | undefined;
const prebuilt: Record<string, Schemas> =
  typeof __AGOV_TOOL_SCHEMAS__ === "undefined" ? {} : __AGOV_TOOL_SCHEMAS__;

/** The JSON Schemas of a tool's input (with the gateway's idempotency key) and output. */
export function toolSchemas(tool: ToolDef): Schemas {
  const input = z.toJSONSchema(tool.input, { io: "input" }) as Record<string, unknown>;
  delete input.$schema;
  // Every changing tool takes an idempotency key (the gateway's, not the tool's own input).
  if (tool.annotations.readOnlyHint !== true)
    input.properties = {
      ...(input.properties as Record<string, unknown>),
      [IDEMPOTENCY_FIELD]: keySchema,
    };
  const output = z.toJSONSchema(tool.output, { io: "output" }) as Record<string, unknown>;
  delete output.$schema;
  return { input: { ...input, type: "object" }, output: { ...output, type: "object" } };
}

export function describeTool(tool: ToolDef): Tool {
  const { input, output } = prebuilt[tool.name] ?? toolSchemas(tool);
  return {
    name: tool.name,
    title: tool.annotations.title,
    description: `${tool.description} (tier T${tool.tier})`,
    inputSchema: input as Tool["inputSchema"],
    outputSchema: output as Tool["outputSchema"],
    annotations: tool.annotations,
  };
}
