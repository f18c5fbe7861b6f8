// The one place typed errors become MCP answers: a tool error result (isError) whose text says
// what went wrong and what to do, with the stable code and retryable flag in _meta.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { AgovError } from "../util/errors.js";

export function errorResult(err: AgovError): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `${err.code}: ${err.message}` }],
    _meta: { "agov/error": { code: err.code, retryable: err.retryable, ...(err.details ?? {}) } },
  };
}

export function okResult(value: unknown): CallToolResult {
  const structured =
    value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: structured,
  };
}

/** Turns zod issues into one message naming each field and what was expected. */
export function invalidInput(tool: string, error: z.ZodError, args: unknown): AgovError {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.length ? issue.path.join(".") : "arguments";
    if (issue.code === "unrecognized_keys")
      return `${issue.keys.map((k) => `${field === "arguments" ? "" : `${field}.`}${k}`).join(", ")}: unknown field(s); remove them`;
    if (issue.path.length > 0 && valueAt(args, issue.path) === undefined)
      return `${field}: required`;
    return `${field}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : "";
  const fields = error.issues.map((i) => (i.path.length ? i.path.join(".") : "arguments"));
  return new AgovError(
    "INVALID_INPUT",
    `invalid arguments for ${tool}: ${parts.join("; ")}${more}`,
    { fields },
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
