// Instruction packets (the seed's InstructionPacket): what an agent is to do on a task, within
// which constraints and error budget. Validated here so every stored packet is complete.
import { z } from "zod";
import type { Tier } from "../authority/index.js";

export const DEFAULT_BUDGET = {
  max_total_errors: 8,
  max_same_error_repeats: 2,
  max_procedure_violations: 1,
} as const;

const name = z.string().min(1).max(200);
const list = z.array(z.string().min(1).max(500)).max(50);

export const errorBudgetSchema = z.strictObject({
  max_total_errors: z.number().int().min(1).max(1000).default(DEFAULT_BUDGET.max_total_errors),
  max_same_error_repeats: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_BUDGET.max_same_error_repeats),
  max_procedure_violations: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_BUDGET.max_procedure_violations),
});
export type ErrorBudget = z.infer<typeof errorBudgetSchema>;

/** What packet_create takes; agent_id, created_for and created_at are filled by the server. */
export const packetInput = z.strictObject({
  agent_id: name,
  task_id: name,
  objective: z.string().min(1).max(4000),
  deliverables: z.array(name).max(50).default([]),
  constraints: z
    .strictObject({
      scope: list.default([]),
      /** Tool names this agent must not call: calling one is a forbidden action. */
      forbidden: list.default([]),
      required_steps: list.default([]),
    })
    .default({ scope: [], forbidden: [], required_steps: [] }),
  success_criteria: list.default([]),
  error_budget: errorBudgetSchema.default(DEFAULT_BUDGET),
  escalation_rules: list.default([]),
});

/** Written by agov itself for a pipeline stage, not by a caller (see createStagePacket). */
export const ENGINE = "engine";

export type InstructionPacket = z.output<typeof packetInput> & {
  /** Who wrote the packet (the seed's name for it): a caller's agent id, or `pipeline:<run>`. */
  created_for: string;
  created_at: string;
  /**
   * The writer's tier when it wrote the packet: BOOTSTRAP refuses the packet unless it is above
   * the agent's own tier. `engine` for a pipeline stage's packet, which agov writes for an agent
   * it created for the stage or that took the stage itself with stage_run. Absent on packets
   * written before this was recorded; BOOTSTRAP refuses those too.
   */
  creator_tier?: Tier | typeof ENGINE;
};
