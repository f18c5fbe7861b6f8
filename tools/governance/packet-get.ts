import { z } from "zod";
import { AgovError } from "../../src/util/errors.js";
import { defineTool } from "../define.js";
import { packet } from "../outputs.js";

export const packetGet = defineTool({
  name: "packet_get",
  tier: 0,
  description: "Read your own instruction packet: objective, deliverables, constraints and budget.",
  input: z.strictObject({}),
  output: packet,
  annotations: { title: "Read my packet", readOnlyHint: true, idempotentHint: true },
  async handler(_input, { caller, governance }) {
    const packet = await governance.getPacket(caller.agent_id);
    if (!packet)
      throw new AgovError("NOT_FOUND", `no instruction packet for ${caller.agent_id} yet`);
    return packet;
  },
});
