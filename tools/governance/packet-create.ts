import { packetInput } from "../../src/governance/packets.js";
import { defineTool } from "../define.js";
import { packet } from "../outputs.js";

export const packetCreate = defineTool({
  name: "packet_create",
  tier: 3,
  description:
    "Give an agent its instruction packet for a task: objective, deliverables, constraints (scope, forbidden tools, required steps), success criteria, error budget (defaults 8 errors, 2 repeats of one error, 1 procedure violation) and escalation rules. The agent cannot BOOTSTRAP without one, and is held to it from its BOOTSTRAP on it until that run ends. Only for an agent below your tier (or with no token yet: then its BOOTSTRAP is refused unless your tier is above its own).",
  input: packetInput,
  output: packet,
  annotations: { title: "Create instruction packet", readOnlyHint: false, idempotentHint: true },
  handler: (input, ctx) => ctx.governance.createPacket(ctx.caller, input),
});
