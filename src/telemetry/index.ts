// Telemetry: OpenTelemetry spans and metrics of governed calls, loaded only when configured (OTLP
// export or the Prometheus /metrics endpoint). This file holds no SDK import: when telemetry is
// off, the runtime has no Telemetry at all and the call path checks one undefined.
import type { Config } from "../config/index.js";

/** W3C trace context as a client sends it in a request's `_meta` (traceparent, tracestate). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export type CallDecision = "allow" | "deny" | "error";

/** What the gateway learns about a call while it runs; read when its span ends. */
export interface CallNote {
  /** The tool as a metric label: a registered tool's name, or "(unknown)". */
  tool?: string;
  agent_id?: string;
  tier?: number | null;
  decision?: CallDecision;
  error_code?: string;
  error_reason?: string;
  task_id?: string;
}

export interface Telemetry {
  /**
   * Runs one governed call in its own span (`name`), child of the carrier's trace when it holds
   * a valid traceparent, else a new root; records its metrics when `fn` settles.
   */
  call<T>(
    name: string,
    attrs: { tool: string; session_id: string; action: string },
    carrier: TraceCarrier | undefined,
    fn: (note: CallNote) => Promise<T>,
  ): Promise<T>;
  /** A child span of the current call around `fn`; just `fn` outside a call. */
  child<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Ledger append latency (until durable), in seconds, by operation. */
  ledgerAppend(op: string, seconds: number, ok: boolean): void;
  /** Appends in flight (written, not yet durable): the ledger's lag. */
  ledgerPending(delta: number): void;
  /** A lock acquire: its latency and whether another holder had it. */
  lockAcquire(acquired: boolean, seconds: number): void;
  revoked(): void;
  sessions(delta: number): void;
  /** Reports dependency health at each collection. */
  observeHealth(report: () => { dependencies: { name: string; status: string }[] }): void;
  /** The metrics in Prometheus text format; undefined when /metrics is off. */
  prometheus?: () => Promise<string>;
  /** Exports what is buffered and stops the exporters. */
  shutdown(): Promise<void>;
}

/** Whether any telemetry is configured (OTLP traces or metrics, or /metrics). */
export const telemetryWanted = (config: Config): boolean =>
  config.otlp_traces || config.otlp_metrics || config.metrics;

/** Loads the OpenTelemetry SDK and builds the exporters the configuration asks for. */
export async function loadTelemetry(config: Config): Promise<Telemetry> {
  const { createTelemetry } = await import("./otel.js");
  return createTelemetry({
    otlpTraces: config.otlp_traces,
    otlpMetrics: config.otlp_metrics,
    prometheus: config.metrics,
  });
}
