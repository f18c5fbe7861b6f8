// The prompts the LLM model sends: a system prompt per role and a user prompt per kind, carrying
// the objective, the context as JSON and the JSON Schema the reply must match.
import { z } from "zod";
import type { AgentRole, ModelRequest } from "./model.js";
import type { ModelTaskKind } from "./schemas.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

const TEAM =
  "You are one agent in a governed team of three working on one objective: ALPHA (research), " +
  "BETA (synthesis) and GAMMA (mediator). Your outputs are posted to a shared blackboard, " +
  "read by the other agents and voted on.";

export const STANCE: Record<AgentRole, string> = {
  ALPHA:
    "You are ALPHA, the research agent. Ground every claim in the objective's requirements, " +
    "prefer proven technology that holds up at scale, and surface risks and open questions.",
  BETA:
    "You are BETA, the synthesis agent. Integrate what is known into the simplest design that " +
    "can ship, prefer managed services and few moving parts, and name what each choice costs.",
  GAMMA:
    "You are GAMMA, the mediator. Reconcile the other agents' proposals: keep what they agree on, " +
    "settle each conflict explicitly with a reason, and stay neutral between them.",
};

export const TASK: Record<ModelTaskKind, string> = {
  plan:
    "Write your plan for this objective, in your role: a short summary, 1 to 8 concrete steps, " +
    "and the risks you see.",
  analysis:
    "Research the objective: findings (topic and detail) on requirements, constraints and risks, " +
    "the open questions, and a complexity score from 0 (trivial) to 1 (very complex).",
  proposal:
    "Propose an architecture: a title, a summary, components (name, responsibility, technology), " +
    "the trade-offs you accept, and your confidence from 0 to 1. Use context.analysis if present.",
  critique:
    "Critique context.proposal, another agent's proposal. Set target_title to its title; list " +
    "agreements, concerns (topic: the component or area; issue; severity) and suggested changes. " +
    "Use severity high only for something you would reject the proposal over.",
  vote:
    "Vote on context.proposal: approve, reject or abstain, with a one-sentence reason; " +
    "proposal_title is its title. Reject only over an unresolved high-severity concern. If it is " +
    "a synthesis (it has resolved_conflicts), approve when it addresses your concerns.",
  synthesis:
    "Merge context.proposals into one design that settles the conflicts raised in " +
    "context.critiques: each resolved conflict (topic and resolution), the merged components, " +
    "and the rationale.",
};

/** Large contexts are cut: the model needs the gist, and the endpoint has a context limit. */
const MAX_CONTEXT_CHARS = 24_000;

export function buildMessages(req: ModelRequest, schema: z.ZodType): ChatMessage[] {
  let context = JSON.stringify(req.context, null, 2);
  if (context.length > MAX_CONTEXT_CHARS) {
    context = `${context.slice(0, MAX_CONTEXT_CHARS)}\n… (truncated)`;
  }
  const jsonSchema = JSON.stringify(z.toJSONSchema(schema, { unrepresentable: "any" }));
  return [
    {
      role: "system",
      content: `${TEAM} ${req.persona ?? STANCE[req.role]} Reply with a single JSON object and nothing else.`,
    },
    {
      role: "user",
      content: [
        `Objective: ${req.objective}`,
        `Task: ${TASK[req.kind]}`,
        `Context (JSON):\n${context}`,
        `Reply with one JSON object that matches this JSON Schema:\n${jsonSchema}`,
      ].join("\n\n"),
    },
  ];
}

/** After a rejected reply, show the model what it said and why it was refused. */
export function correction(reply: string, reason: string): ChatMessage[] {
  return [
    { role: "assistant", content: reply.slice(0, 4_000) },
    {
      role: "user",
      content:
        `That reply was rejected: ${reason}. ` +
        "Answer again with one JSON object that matches the schema, and nothing else.",
    },
  ];
}
