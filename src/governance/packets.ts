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
  max_total_errors: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_BUDGET.max_total_errors)
    .describe("Errors of any kind before revocation."),
  max_same_error_repeats: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_BUDGET.max_same_error_repeats)
    .describe("Repeats of one error type before revocation."),
  max_procedure_violations: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_BUDGET.max_procedure_violations)
    .describe("Procedure violations (a forbidden tool, a skipped phase) before revocation."),
});
export type ErrorBudget = z.infer<typeof errorBudgetSchema>;

/** What packet_create takes; agent_id, created_for and created_at are filled by the server. */
export const packetInput = z.strictObject({
  agent_id: name.describe("The agent the packet is for."),
  task_id: name.describe("The task the agent works on."),
  objective: z.string().min(1).max(4000).describe("What the agent is to achieve."),
  deliverables: z
    .array(name)
    .max(50)
    .default([])
    .describe("Artifact names the agent must record before VERIFY."),
  constraints: z
    .strictObject({
      scope: list.default([]).describe("What the agent may work on."),
      forbidden: list
        .default([])
        .describe("Tool names the agent must not call: calling one is a forbidden action."),
      required_steps: list.default([]).describe("Steps the agent must take."),
    })
    .default({ scope: [], forbidden: [], required_steps: [] })
    .describe("Scope, forbidden tools and required steps."),
  success_criteria: list.default([]).describe("How the work is judged done."),
  error_budget: errorBudgetSchema
    .default(DEFAULT_BUDGET)
    .describe("Errors the agent may make before it is revoked."),
  escalation_rules: list.default([]).describe("What the agent does when it is stuck."),
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
