import { z } from "zod";
import { defineTool } from "../define.js";
import { taskId } from "../fields.js";
import { isoTime, rosterOut, strings } from "../outputs.js";

export const spawnConditions = defineTool({
  name: "spawn_conditions",
  tier: 0,
  description:
    "Whether a task needs its mediator: STUCK (an agent silent for 30 s), CONFLICT (3 or more proposals not accepted and with a REJECT), COMPLEXITY (problem/complexity score above 0.8), SUCCESS (every agent finished: validate). Thresholds can be overridden per call. Also returns the task's roster: each agent's phase, step and time of its last transition; STUCK's stale_in_ms says when the next working agent would go silent (look again then, or subscribe to agov://tasks/{task_id}/spawn-conditions).",
  input: z.strictObject({
    task_id: taskId.describe("The task to evaluate."),
    stuck_ms: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .optional()
      .describe("STUCK threshold: ms without a heartbeat or transition (default 30000)."),
    conflicts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe("CONFLICT threshold: unresolved proposals with a REJECT (default 3)."),
    complexity: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "COMPLEXITY threshold: problem/complexity score above which it fires (default 0.8).",
      ),
  }),
  output: z.strictObject({
    task_id: z.string(),
    conditions: z.array(
      z.looseObject({
        condition: z.enum(["STUCK", "CONFLICT", "COMPLEXITY", "SUCCESS"]),
        fired: z.boolean(),
        value: z.number(),
        threshold: z.number(),
        detail: z.string(),
        agents: strings.optional().describe("STUCK: the silent agents"),
        stale_in_ms: z
          .number()
          .nullable()
          .optional()
          .describe(
            "STUCK: ms until the next working agent goes silent for the threshold (look again then)",
          ),
      }),
    ),
    spawn: z.enum(["STUCK", "CONFLICT", "COMPLEXITY", "SUCCESS"]).nullable(),
    roster: z.record(
      z.string(),
      z.looseObject({ phase: z.string(), step: z.string(), at: isoTime }),
    ),
  }),
  annotations: { title: "Spawn conditions", readOnlyHint: true, idempotentHint: true },
  async handler({ task_id, ...overrides }, ctx) {
    const r = await ctx.coordination.spawnConditions(
      task_id,
      Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    );
    return { ...r, roster: rosterOut(r.roster) };
  },
});
