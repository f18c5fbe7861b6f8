import { z } from "zod";
import { AgovError } from "../../src/util/errors.js";
import { defineTool } from "../define.js";
import { taskId } from "../fields.js";

export const handoffRead = defineTool({
  name: "handoff_read",
  tier: 0,
  description:
    "Read the latest handoff of a task: who was revoked and why, the last phase and step, what was tried, the blocking issue, the next actions, constraints and artifacts.",
  input: z.strictObject({ task_id: taskId }),
  annotations: { title: "Read handoff", readOnlyHint: true, idempotentHint: true },
  async handler({ task_id }, { governance }) {
    const handoff = await governance.handoff(task_id);
    if (!handoff) throw new AgovError("NOT_FOUND", `no handoff for task ${task_id}`);
    return handoff;
  },
});
