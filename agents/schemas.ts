// The structured outputs the agents ask a model for, as zod schemas: the one place where model
// output is validated (the LLM's JSON, and the offline model's objects alike) before an agent trusts it.
import { z } from "zod";

const text = z.string().trim().min(1);

/** ALPHA/BETA/GAMMA in the PLAN phase: what they will do, in at most eight steps. */
export const Plan = z.object({
  summary: text,
  steps: z.array(text).min(1).max(8),
  risks: z.array(text),
});
export type Plan = z.infer<typeof Plan>;

/**
 * ALPHA's research. `complexity` (0..1) is an addition to the brief: the orchestrator's
 * COMPLEXITY spawn condition needs a score, and the research agent is the one placed to give it.
 */
export const Analysis = z.object({
  findings: z.array(z.object({ topic: text, detail: text })).min(1),
  open_questions: z.array(text),
  complexity: z.number().min(0).max(1),
});
export type Analysis = z.infer<typeof Analysis>;

export const Component = z.object({ name: text, responsibility: text, technology: text });
export type Component = z.infer<typeof Component>;

export const Proposal = z.object({
  title: text,
  summary: text,
  components: z.array(Component).min(1).max(16),
  tradeoffs: z.array(text),
  confidence: z.number().min(0).max(1),
});
export type Proposal = z.infer<typeof Proposal>;

export const Severity = z.enum(["low", "medium", "high"]);
export type Severity = z.infer<typeof Severity>;

/**
 * A concern carries a `topic` (addition to the brief, usually a component name) so that the
 * mediator can say which conflicts it resolved and a voter can check its concerns were addressed,
 * by matching topics rather than parsing prose.
 */
export const Concern = z.object({ topic: text, issue: text, severity: Severity });
export type Concern = z.infer<typeof Concern>;

export const Critique = z.object({
  target_title: text,
  agreements: z.array(text),
  concerns: z.array(Concern),
  suggested_changes: z.array(text),
});
export type Critique = z.infer<typeof Critique>;

export const VoteChoice = z.enum(["approve", "reject", "abstain"]);
export type VoteChoice = z.infer<typeof VoteChoice>;

export const Vote = z.object({ proposal_title: text, vote: VoteChoice, reason: text });
export type Vote = z.infer<typeof Vote>;

/** GAMMA's merge of the proposals: a proposal plus the conflicts it settled and why. */
export const Synthesis = z.object({
  title: text,
  summary: text,
  resolved_conflicts: z.array(z.object({ topic: text, resolution: text })),
  components: z.array(Component).min(1).max(24),
  rationale: text,
});
export type Synthesis = z.infer<typeof Synthesis>;

/** The schema each request kind expects, so callers can write `outputSchemas[req.kind]`. */
export const outputSchemas = {
  plan: Plan,
  analysis: Analysis,
  proposal: Proposal,
  critique: Critique,
  vote: Vote,
  synthesis: Synthesis,
} as const;
export type ModelTaskKind = keyof typeof outputSchemas;
export type OutputOf<K extends ModelTaskKind> = z.infer<(typeof outputSchemas)[K]>;
