// The one vocabulary of failures: a few codes (how a call was answered, and whether to retry) and
// reasons (which rule answered it). The server maps them to MCP answers in one place
// (src/server/errors.ts), the ledger records both, and docs/errors.md is generated from here.

interface CodeInfo {
  retryable: boolean;
  meaning: string;
}

export const ERRORS = {
  DENIED: { retryable: false, meaning: "the caller may not do this (tier, policy or a rule)" },
  REVOKED: { retryable: false, meaning: "the caller's token or run was revoked" },
  EXPIRED: { retryable: false, meaning: "the caller's token expired; get a new one" },
  UNAUTHENTICATED: { retryable: false, meaning: "no token, or one agov does not know" },
  INVALID_INPUT: {
    retryable: false,
    meaning: "the arguments are wrong; the message names the field",
  },
  NOT_FOUND: { retryable: false, meaning: "what was named does not exist (or is not visible)" },
  CONFLICT: {
    retryable: true,
    meaning:
      "the state moved on (a lock held, a stale version, a call in progress): read and retry",
  },
  UNAVAILABLE: {
    retryable: true,
    meaning: "a dependency (state store, authority, ledger, model) cannot answer now: retry later",
  },
  PROCEDURE_VIOLATION: {
    retryable: false,
    meaning: "an agent under a packet broke its lifecycle (wrong phase, skipped or repeated step)",
  },
  FORBIDDEN_ACTION: {
    retryable: false,
    meaning: "an agent under a packet called a tool its packet forbids",
  },
  INTERNAL: { retryable: false, meaning: "a fault in agov itself; the message says where" },
  FAILED: {
    retryable: false,
    meaning:
      "a governed action ran and did not succeed: a pipeline command exited non-zero, was stopped at its timeout, or could not start",
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * Which rule gave an answer: a finer name under a code, for clients and auditors to act on.
 * Revocation reasons (the seed's triggers) say why an agent was revoked; when a call both broke a
 * rule and caused a revocation, its code and the revocation's reason carry the same name.
 */
export const REASONS = {
  AGENT_PREVIOUSLY_REVOKED: {
    code: "DENIED",
    meaning:
      "a revoked agent id can never BOOTSTRAP again: continue under a new id from the handoff",
  },
  NO_INSTRUCTION_PACKET: {
    code: "NOT_FOUND",
    meaning: "BOOTSTRAP needs an unused packet from a T3 executor (packet_create)",
  },
  PACKET_CREATOR_TIER: {
    code: "DENIED",
    meaning: "the packet was written by a tier not above the agent's own",
  },
  CANNOT_ACQUIRE_LOCK: {
    code: "CONFLICT",
    meaning: "another run of the agent holds its execution lock",
  },
  OUTCOME_UNKNOWN: {
    code: "UNAVAILABLE",
    meaning: "a change was sent but not answered: it may or may not have taken effect",
  },
  DEPENDENCY_DOWN: {
    code: "UNAVAILABLE",
    meaning:
      "a dependency's circuit breaker is open after repeated failures: refused at once, nothing was sent; the message says when it is tried again",
  },
  LOCKS_HELD_AFTER_DATA_LOSS: {
    code: "UNAVAILABLE",
    meaning:
      "the state store lost its data (restarted without persistence): locks are refused until every lease given out before has expired",
  },
  REFUSALS_SUMMARISED: {
    code: "UNAUTHENTICATED",
    meaning: "a ledger row counting bearer-token refusals from one source in one minute",
  },
  PROCEDURE_VIOLATION: {
    code: "REVOKED",
    meaning: "revoked: broke its lifecycle as often as its budget allows",
  },
  SAME_ERROR_REPEATED: {
    code: "REVOKED",
    meaning: "revoked: the same error repeated as often as its budget allows",
  },
  ERROR_BUDGET_EXCEEDED: { code: "REVOKED", meaning: "revoked: too many errors in one run" },
  MISSING_ARTIFACT: {
    code: "REVOKED",
    meaning: "revoked: reached VERIFY (or finished a stage) without a declared deliverable",
  },
  FORBIDDEN_ACTION: { code: "REVOKED", meaning: "revoked: called a tool its packet forbids" },
  MANUAL: { code: "REVOKED", meaning: "revoked by a T4 architect or an operator" },
  COMMAND_NOT_GRANTED: {
    code: "DENIED",
    meaning:
      "a pipeline command is not granted to its stage's tier by policy (governance/commands/…)",
  },
} as const satisfies Record<string, { code: ErrorCode; meaning: string }>;

export type Reason = keyof typeof REASONS;
export const REASON_NAMES = Object.keys(REASONS) as Reason[];

export class AgovError extends Error {
  readonly code: ErrorCode;
  readonly reason: Reason | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  /** `details.reason`, when given, names the rule (one of REASONS). */
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown> & { reason?: Reason },
  ) {
    super(message);
    this.name = "AgovError";
    this.code = code;
    this.retryable = ERRORS[code].retryable;
    const { reason, ...rest } = details ?? {};
    this.reason = reason;
    this.details = details && Object.keys(rest).length > 0 ? rest : undefined;
  }
}

/** Wraps any thrown value as an AgovError, keeping typed ones as they are. */
export function toAgovError(err: unknown): AgovError {
  if (err instanceof AgovError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgovError("INTERNAL", message);
}
