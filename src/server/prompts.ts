// The agent templates as MCP prompts: a client lists them and gets one filled in for its task, as
// an instruction packet ready for packet_create. Prompts change nothing, so they are not governed
// calls; they hold no secrets.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { AGENT_TEMPLATES } from "../governance/templates.js";
import { clip } from "../util/text.js";
import { ProtocolError } from "./protocol-error.js";

const ARGS = [
  { name: "objective", description: "what the agent is to achieve", required: true },
  {
    name: "agent_id",
    description: "the agent the packet is for (default: specialist)",
    required: false,
  },
  { name: "task_id", description: "the task (default: task)", required: false },
];

export function registerPrompts(server: Server): void {
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: AGENT_TEMPLATES.map((t) => ({
      name: t.name,
      title: t.title,
      description: `${t.description} Needs tier T${t.tier}.`,
      arguments: ARGS,
    })),
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (req) => {
    const t = AGENT_TEMPLATES.find((x) => x.name === req.params.name);
    if (!t)
      throw new ProtocolError(
        ErrorCode.InvalidParams,
        `unknown prompt "${clip(req.params.name)}"; prompts/list names ${AGENT_TEMPLATES.map((x) => x.name).join(", ")}`,
      );
    const args = req.params.arguments ?? {};
    const objective = args.objective?.trim();
    if (!objective)
      throw new ProtocolError(
        ErrorCode.InvalidParams,
        "arguments.objective: required, the agent's objective",
      );
    const packet = t.packet({
      agent_id: args.agent_id || "specialist",
      task_id: args.task_id || "task",
      objective,
    });
    return {
      description: `${t.title} packet for: ${objective}`,
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: [
              `You are a ${t.title} (tier T${t.tier}) working under agov's governance.`,
              "A T3 executor creates your instruction packet with packet_create; then walk the lifecycle with phase_transition (BOOTSTRAP → PREFLIGHT → PLAN → EXECUTE → VERIFY → PACKAGE → REPORT → EXIT), record a plan artifact before EXECUTE and every deliverable before VERIFY, and never call a forbidden tool.",
              "Instruction packet:",
              JSON.stringify(packet, null, 2),
            ].join("\n\n"),
          },
        },
      ],
    };
  });
}
