// The one place typed errors become MCP answers: a tool error result (isError) whose text says
// what went wrong and what to do, with the stable code and retryable flag in _meta.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { AgovError } from "../util/errors.js";
import { clip, MAX_ECHO } from "../util/text.js";

export function errorResult(err: AgovError): CallToolResult {
  const label = err.reason ? `${err.code} (${err.reason})` : err.code;
  return {
    isError: true,
    content: [{ type: "text", text: `${label}: ${err.message}` }],
    _meta: {
      "agov/error": {
        ...(err.details ?? {}),
        code: err.code,
        ...(err.reason ? { reason: err.reason } : {}),
        retryable: err.retryable,
      },
    },
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

/** Issues (and unknown keys of one issue) named in a message; the rest are counted. */
const SHOWN = 5;

/**
 * Turns zod issues into one message naming each field and what was expected. Field names can be
 * the caller's own keys, so each is clipped and only the first few are named: the answer stays
 * small however many or however long the keys sent.
 */
export function invalidInput(tool: string, error: z.ZodError, args: unknown): AgovError {
  const pathOf = (path: readonly PropertyKey[]) =>
    path.length ? clip(path.map(String).join("."), MAX_ECHO) : "arguments";
  const parts = error.issues.slice(0, SHOWN).map((issue) => {
    const field = pathOf(issue.path);
    if (issue.code === "unrecognized_keys") {
      const prefix = field === "arguments" ? "" : `${field}.`;
      const named = issue.keys.slice(0, SHOWN).map((k) => clip(`${prefix}${k}`, MAX_ECHO));
      const others = issue.keys.length > SHOWN ? ` and ${issue.keys.length - SHOWN} more` : "";
      return `${named.join(", ")}${others}: unknown field(s); remove them`;
    }
    if (issue.path.length > 0 && valueAt(args, issue.path) === undefined)
      return `${field}: required`;
    return `${field}: ${clip(issue.message, 500)}`;
  });
  const more = error.issues.length > SHOWN ? ` (and ${error.issues.length - SHOWN} more)` : "";
  const fields = error.issues.slice(0, 50).map((i) => pathOf(i.path));
  return new AgovError(
    "INVALID_INPUT",
    `invalid arguments for ${clip(tool)}: ${parts.join("; ")}${more}`,
    { fields },
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    // Own keys only: a caller's "constructor" is not Object.prototype's.
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
