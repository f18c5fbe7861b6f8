import { z } from "zod";
import { defineTool } from "../define.js";
import { taskId } from "../fields.js";

export const spawnConditions = defineTool({
  name: "spawn_conditions",
  tier: 0,
  description:
    "Whether a task needs its mediator: STUCK (an agent silent for 30 s), CONFLICT (3 or more proposals not accepted and with a REJECT), COMPLEXITY (problem/complexity score above 0.8), SUCCESS (every agent finished: validate). Thresholds can be overridden per call. Also returns the task's roster: each agent's phase, step and time of its last transition.",
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
  annotations: { title: "Spawn conditions", readOnlyHint: true, idempotentHint: true },
  handler: ({ task_id, ...overrides }, ctx) =>
    ctx.coordination.spawnConditions(
      task_id,
      Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    ),
});
