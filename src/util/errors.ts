// Typed errors with stable codes. The server maps them to MCP errors in one place (src/server/errors.ts).

export const ERROR_CODES = [
  "DENIED",
  "REVOKED",
  "EXPIRED",
  "INVALID_INPUT",
  "CONFLICT",
  "BUDGET_EXCEEDED",
  "UNAVAILABLE",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "PROCEDURE_VIOLATION",
  "FORBIDDEN_ACTION",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(["UNAVAILABLE", "CONFLICT"]);

export class AgovError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AgovError";
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.details = details;
  }
}

export function isAgovError(err: unknown): err is AgovError {
  return err instanceof AgovError;
}

/** Wraps any thrown value as an AgovError, keeping typed ones as they are. */
export function toAgovError(err: unknown): AgovError {
  if (err instanceof AgovError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgovError("INTERNAL", message);
}
