// What tools answer: the output schemas published as each tool's outputSchema (the gateway checks
// every result against its tool's before it leaves), and the shapes shared by several tools. Every
// time in a result is an ISO 8601 UTC string; the converters here turn the stores' epoch
// milliseconds into one.
import { z } from "zod";

/** An epoch-ms time as the one format results use. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A stored time text as ISO 8601 UTC: SQL's "YYYY-MM-DD HH:MM:SS" (UTC, as legacy ledgers kept
 * it) and any other parseable form; text that is no time is left for the output check to refuse.
 */
export const isoOf = (text: string): string => {
  const sql = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text)
    ? `${text.replace(" ", "T")}Z`
    : text;
  const ms = Date.parse(sql);
  return Number.isNaN(ms) ? text : iso(ms);
};

export const isoTime = z.iso.datetime().describe("ISO 8601 UTC time");
const tier = z.number().int().min(0).max(4);
const strings = z.array(z.string());

export const blackboardEntry = z.looseObject({
  task_id: z.string(),
  section: z.string(),
  key: z.string(),
  value: z.unknown().describe("The entry's value, as posted"),
  version: z.number().int().describe("Pass this as expected_version to update the entry"),
  author: z.string(),
  updated_at: isoTime,
});
export const entryOut = <T extends { updated_at: number }>(e: T) => ({
  ...e,
  updated_at: iso(e.updated_at),
});

export const message = z.looseObject({
  id: z.string(),
  task_id: z.string(),
  from: z.string(),
  to: z.string(),
  type: z.string(),
  body: z.unknown().describe("The message, as sent"),
  sent_at: isoTime,
});
export const messageOut = <T extends { sent_at: number }>(m: T) => ({
  ...m,
  sent_at: iso(m.sent_at),
});

const vote = z.looseObject({
  agent: z.string(),
  vote: z.string(),
  reasoning: z.string(),
  timestamp: isoTime,
});
export const proposalStatus = z.looseObject({
  id: z.string(),
  title: z.string(),
  author: z.string(),
  required_voters: strings,
  count_all_votes: z.boolean(),
  created_at: isoTime,
  votes: z.array(vote),
  accept: z.number().int(),
  reject: z.number().int(),
  abstain: z.number().int(),
  missing: strings.describe("Required voters who have not voted"),
  uncounted: strings.describe("Voters outside required_voters whose votes are not counted"),
  status: z.enum(["pending", "accepted", "rejected"]),
  reason: z.string(),
});
export const withIsoCreated = <T extends { created_at: number }>(p: T) => ({
  ...p,
  created_at: iso(p.created_at),
});

export const lease = z.looseObject({
  resource: z.string(),
  holder: z.string(),
  lease_id: z.string().describe("Needed to refresh or release the lock"),
  fence: z.number().int().describe("Grows with every new holder: pass it to what the lock guards"),
  expires_at: isoTime,
});
export const leaseOut = <T extends { expires_at: number }>(l: T) => ({
  ...l,
  expires_at: iso(l.expires_at),
});

export const rosterOut = (roster: Record<string, { phase: string; step: string; at: number }>) =>
  Object.fromEntries(Object.entries(roster).map(([a, l]) => [a, { ...l, at: iso(l.at) }]));

export const packet = z.looseObject({
  agent_id: z.string(),
  task_id: z.string(),
  objective: z.string(),
  deliverables: strings,
  constraints: z.looseObject({ scope: strings, forbidden: strings, required_steps: strings }),
  success_criteria: strings,
  error_budget: z.looseObject({
    max_total_errors: z.number().int(),
    max_same_error_repeats: z.number().int(),
    max_procedure_violations: z.number().int(),
  }),
  escalation_rules: strings,
  created_for: z.string(),
  created_at: isoTime,
  creator_tier: z.union([tier, z.literal("engine")]).optional(),
});

export const handoff = z.looseObject({
  task_id: z.string(),
  previous_agent_id: z.string(),
  revocation_reason: z.unknown(),
  created_at: isoTime,
});

const stage = z.looseObject({
  name: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  agents: strings,
  artifacts: strings,
  task_id: z.string().nullable(),
  reason: z.string().nullable(),
  deadline: isoTime.nullable(),
});
export const runSummary = z.looseObject({
  run_id: z.string(),
  pipeline: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  objective: z.string().nullable(),
  started_by: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  checkpoints: z.number().int(),
  stages: z.array(stage),
});

export const runMetrics = z.looseObject({
  agent_id: z.string(),
  total_runs: z.number().int(),
  compliant_runs: z.number().int(),
  consecutive_compliant: z.number().int(),
  current_tier: tier.nullable(),
  last_active_at: isoTime.nullable(),
});

/** A result's run metrics (when it has them) with their time in the one format. */
export const withIsoMetrics = <T extends object>(r: T): T => {
  const m = (r as { metrics?: { last_active_at?: unknown } }).metrics;
  if (!m || typeof m.last_active_at !== "string") return r;
  return { ...r, metrics: { ...m, last_active_at: isoOf(m.last_active_at) } };
};

export { strings, tier };
