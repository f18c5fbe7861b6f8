// The one error a model throws once it has given up: typed by kind so the runner can report it
// through the `error_report` tool and let the agent's error budget decide what happens next.

export type ModelErrorKind =
  | "malformed_output"
  | "timeout"
  | "rate_limited"
  | "server_error"
  | "endpoint_refused"
  | "client_error";

/**
 * Kinds that are the provider's fault, never the agent's: the endpoint is down, overloaded or slow
 * (5xx, an HTML error page, timeouts, rate limits), refuses the configured key or model (401, 403,
 * 404), or answers with something that is not the JSON asked for. They go through the model's
 * breaker and are reported with dependency "model": recorded, not charged. Only `client_error`
 * (the request the agent built was refused: 400, 413, 422) is the agent's own.
 */
export const OUTAGE_KINDS: ReadonlySet<ModelErrorKind> = new Set([
  "timeout",
  "rate_limited",
  "server_error",
  "endpoint_refused",
  "malformed_output",
]);

export class ModelError extends Error {
  override readonly name = "ModelError";
  /** Worth another try later (the runner may retry the step); a client error never is. */
  readonly retryable: boolean;
  /** The provider's fault (reported with dependency "model", not charged to the agent). */
  readonly outage: boolean;

  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly attempts: number,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = kind !== "client_error";
    this.outage = OUTAGE_KINDS.has(kind);
  }
}
