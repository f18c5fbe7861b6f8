// The one error a model throws once it has given up: typed by kind so the runner can report it
// through the `error_report` tool and let the agent's error budget decide what happens next.

export type ModelErrorKind =
  | "malformed_output"
  | "timeout"
  | "rate_limited"
  | "server_error"
  | "client_error";

/** Kinds that mean the endpoint is down or overloaded: an outage, never the agent's fault. */
export const OUTAGE_KINDS: ReadonlySet<ModelErrorKind> = new Set([
  "timeout",
  "rate_limited",
  "server_error",
]);

export class ModelError extends Error {
  override readonly name = "ModelError";
  /** Worth another try later (the runner may retry the step); a client error never is. */
  readonly retryable: boolean;
  /** The endpoint's outage (reported with dependency "model", not charged to the agent). */
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
