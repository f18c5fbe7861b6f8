// Input fields shared by several tools, so limits and messages are the same everywhere.
import { z } from "zod";
import { AGENT_ID, AGENT_ID_RULE } from "../src/authority/index.js";
import { BLACKBOARD_SECTIONS, MESSAGE_TYPES } from "../src/coordination/index.js";
import { PHASES } from "../src/governance/lifecycle.js";
import { JSON_LIMITS, jsonBoundsProblem } from "../src/util/json.js";

export const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
      `${what}: letters, digits and . _ : / - only, starting with a letter or digit`,
    );

export const taskId = identifier("task id");
export const agentId = z.string().regex(AGENT_ID, `agent id: ${AGENT_ID_RULE}`);
export const resource = identifier("resource name");
export const leaseId = z.string().min(1).max(100);
export const ttlMs = z.number().int().min(100).max(600_000);
export const section = z.enum(BLACKBOARD_SECTIONS);
export const messageType = z.enum(MESSAGE_TYPES);
/**
 * Any JSON value, bounded so one call cannot flood the store. The bounds are checked without
 * recursion first, so JSON.stringify never meets a value deep enough to overflow the stack.
 */
export const jsonValue = z
  .unknown()
  .refine(
    (v) => v !== undefined && jsonBoundsProblem(v) === null && JSON.stringify(v).length <= 64_000,
    {
      message: `expected a JSON value of at most 64,000 characters, nested at most ${JSON_LIMITS.depth} deep`,
    },
  );
export const phase = z.enum(PHASES);
export const shortText = (max: number) => z.string().min(1).max(max);
