import { z } from "zod";
import { defineTool } from "../define.js";
import { taskId } from "../fields.js";
import { handoff } from "../outputs.js";

export const handoffRead = defineTool({
  name: "handoff_read",
  tier: 0,
  description:
    "Read the latest handoff of a task: who was revoked and why, the last phase and step, what was tried, the blocking issue, the next actions, constraints and artifacts. found is false when no agent has left one.",
  input: z.strictObject({ task_id: taskId.describe("The task whose latest handoff to read.") }),
  output: z.strictObject({ task_id: z.string(), found: z.boolean(), handoff: handoff.nullable() }),
  annotations: { title: "Read handoff", readOnlyHint: true, idempotentHint: true },
  async handler({ task_id }, { governance }) {
    // No handoff is the normal case, not an error: reading it must not cost an agent its budget.
    const handoff = await governance.handoff(task_id);
    return { task_id, found: handoff !== null, handoff };
  },
});
