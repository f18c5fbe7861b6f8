// The structured results of the agov tools the agents read, as zod schemas: agov publishes each
// tool's outputSchema and checks its answers against it; the agents parse what they use once, at
// their edge (client.ts), and work with typed values instead of casting.
import { z } from "zod";

/** A JSON object (a message body, an entry value); anything else arrives wrapped as { value }. */
const object = z
  .unknown()
  .transform(
    (v): Record<string, unknown> =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : { value: v },
  );

const entry = z.looseObject({
  section: z.string(),
  key: z.string(),
  value: object,
  version: z.number(),
  author: z.string(),
});

const vote = z.looseObject({ agent: z.string(), vote: z.string() });
const proposal = z.looseObject({
  id: z.string(),
  title: z.string(),
  author: z.string(),
  status: z.string(),
  reason: z.string(),
  votes: z.array(vote),
});

export const TOOL_RESULTS = {
  blackboard_read: z.looseObject({ task_id: z.string(), entries: z.array(entry) }),
  message_read: z.looseObject({
    messages: z.array(
      z.looseObject({
        id: z.string(),
        from: z.string(),
        to: z.string(),
        type: z.string(),
        body: object,
      }),
    ),
    last_id: z.string().nullable(),
  }),
  consensus_status: z.looseObject({ task_id: z.string(), proposals: z.array(proposal) }),
  spawn_conditions: z.looseObject({
    task_id: z.string(),
    conditions: z.array(
      z.looseObject({
        condition: z.string(),
        fired: z.boolean(),
        detail: z.string(),
        agents: z.array(z.string()).optional(),
        stale_in_ms: z.number().nullable().optional(),
      }),
    ),
    spawn: z.string().nullable(),
    roster: z.record(z.string(), z.looseObject({ phase: z.string(), step: z.string() })),
  }),
  handoff_read: z.looseObject({ found: z.boolean(), handoff: object.nullable() }),
  proposal_create: z.looseObject({ id: z.string(), title: z.string() }),
  vote_cast: z.looseObject({ status: z.string() }),
  error_report: z.looseObject({ revoked: z.boolean() }),
} as const;

export type ToolResults = { [K in keyof typeof TOOL_RESULTS]: z.output<(typeof TOOL_RESULTS)[K]> };
/** What a tool's call gives an agent: typed for the tools above, a plain object otherwise. */
export type ResultOf<K extends string> = K extends keyof ToolResults
  ? ToolResults[K]
  : Record<string, unknown>;

/** Parses a tool's structured result; throws when agov's answer is not what the tool promises. */
export function parseResult<K extends string>(tool: K, data: Record<string, unknown>): ResultOf<K> {
  const schema = (TOOL_RESULTS as Record<string, z.ZodType>)[tool];
  if (!schema) return data as ResultOf<K>;
  const r = schema.safeParse(data);
  if (!r.success)
    throw new Error(
      `${tool} answered with a result that does not fit its schema: ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
    );
  return r.data as ResultOf<K>;
}
