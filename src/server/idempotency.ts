// Idempotency keys on changing calls. A client that did not hear back (a timeout, a dropped
// connection, an outcome the server itself calls unknown) retries with the same key and gets the
// first call's answer, without a second effect. The key is claimed in the state store before the
// effect, so two instances sharing the store agree on which call was first.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolDef } from "../../tools/define.js";
import type { IdempotencyRecord, StateStore } from "../state/index.js";
import { AgovError } from "../util/errors.js";

export const IDEMPOTENCY_FIELD = "idempotency_key";
/** How long a key's first answer is kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A claim never settled after this long (its server died mid-call) counts as an unknown outcome. */
const STALE_MS = 60_000;
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
/** Answers kept for replay are bounded; changing tools answer with small objects. */
const MAX_KEPT = 64_000;

/** The key's JSON Schema, added to every changing tool's listed input. */
export const keySchema = {
  type: "string",
  minLength: 1,
  maxLength: 200,
  pattern: KEY_RE.source,
  description:
    "Optional. A key you choose for this change (e.g. a UUID). Retrying with the same key and arguments returns the first call's answer without acting twice — use it when a call timed out or its outcome was reported unknown.",
};

/**
 * Takes the key out of a changing call's arguments (tool inputs are strict, so it is not theirs).
 * Throws INVALID_INPUT for a malformed key.
 */
export function takeKey(tool: ToolDef, args: unknown): { key?: string; args: unknown } {
  if (tool.annotations.readOnlyHint === true || !args || typeof args !== "object") return { args };
  if (!Object.hasOwn(args, IDEMPOTENCY_FIELD)) return { args };
  const { [IDEMPOTENCY_FIELD]: key, ...rest } = args as Record<string, unknown>;
  if (typeof key !== "string" || !KEY_RE.test(key))
    throw new AgovError(
      "INVALID_INPUT",
      `invalid arguments for ${tool.name}: ${IDEMPOTENCY_FIELD}: expected 1-200 letters, digits and . _ : - starting with a letter or digit`,
      { fields: [IDEMPOTENCY_FIELD] },
    );
  return { key, args: rest };
}

/** Whether running the tool again after an unknown outcome cannot do its work twice. */
function safeToRerun(tool: ToolDef): boolean {
  return tool.annotations.idempotentHint === true || tool.rerunsWithKey === true;
}

export type Claimed =
  | {
      kind: "run";
      settle(result: CallToolResult, unknown: boolean, retryable: boolean): Promise<void>;
    }
  | { kind: "replay"; result: CallToolResult; first: IdempotencyRecord };

/**
 * Claims `key` for this call. Returns what to do: run it (and settle the key after), or answer
 * with the first call's result. Throws CONFLICT while the first call is still running, or when its
 * outcome is unknown and running the tool again could act twice; INVALID_INPUT when the key was
 * used with other arguments.
 */
export interface ClaimContext {
  state: StateStore;
  now: () => number;
  /** This server instance, and the keys of its calls in flight. */
  instance: string;
  inFlight: Set<string>;
}

export async function claim(
  c: ClaimContext,
  agentId: string,
  tool: ToolDef,
  key: string,
  digest: string,
): Promise<Claimed> {
  const { state, now, instance, inFlight } = c;
  const flight = `${agentId}\n${key}`;
  const run: Claimed = {
    kind: "run",
    async settle(result, unknown, retryable) {
      inFlight.delete(flight);
      // A refusal that changed nothing and may succeed later frees the key for the retry.
      if (!unknown && retryable && result.isError) {
        await state.idempotency.settle(
          agentId,
          key,
          { digest, status: "done", started_at: now() },
          0,
        );
        return;
      }
      const kept = JSON.stringify(result).length <= MAX_KEPT ? result : tooLarge(result);
      const record: IdempotencyRecord = unknown
        ? { digest, status: "unknown", started_at: now() }
        : { digest, status: "done", started_at: now(), result: kept };
      await state.idempotency.settle(agentId, key, record, IDEMPOTENCY_TTL_MS);
    },
  };
  const running: IdempotencyRecord = { digest, status: "running", started_at: now(), instance };
  const claimed = await state.idempotency.claim(agentId, key, running, IDEMPOTENCY_TTL_MS);
  if (claimed.first) {
    inFlight.add(flight);
    return run;
  }
  const first = claimed.record;
  if (first.digest !== digest)
    throw new AgovError(
      "INVALID_INPUT",
      `${IDEMPOTENCY_FIELD} "${key}" was used with other arguments; use a new key for a different call`,
      { fields: [IDEMPOTENCY_FIELD] },
    );
  if (first.status === "done" && first.result)
    return { kind: "replay", result: first.result as CallToolResult, first };
  // Running, by its record: this instance knows whether that is so; for another, only time tells.
  const stale =
    first.status === "running" &&
    (first.instance === instance ? !inFlight.has(flight) : now() - first.started_at > STALE_MS);
  if (first.status === "running" && !stale)
    throw new AgovError(
      "CONFLICT",
      `a call with ${IDEMPOTENCY_FIELD} "${key}" is still running; retry in a moment`,
    );
  // The first call's outcome is unknown (its store stopped answering, or its server died).
  if (!safeToRerun(tool))
    throw new AgovError(
      "CONFLICT",
      `the outcome of the first ${tool.name} with ${IDEMPOTENCY_FIELD} "${key}" is unknown (it may or may not have taken effect); read the state to see which before acting again`,
      { outcome: "unknown" },
    );
  await state.idempotency.settle(agentId, key, running, IDEMPOTENCY_TTL_MS);
  inFlight.add(flight);
  return run;
}

function tooLarge(result: CallToolResult): CallToolResult {
  return {
    ...(result.isError ? { isError: true } : {}),
    content: [{ type: "text", text: "(the first answer was too large to keep; it succeeded)" }],
  };
}
