// The OpenTelemetry SDK behind the Telemetry port: a tracer provider (OTLP over HTTP, or an
// injected exporter), a meter provider (OTLP, Prometheus text for /metrics, or an injected
// reader). Loaded only by loadTelemetry, so a run without telemetry never imports the SDK.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { packageVersion } from "../util/paths.js";
import type { CallNote, Telemetry, TraceCarrier } from "./index.js";

export interface TelemetryOptions {
  /** Export spans over OTLP/HTTP (endpoint and headers from the standard OTEL_* variables). */
  otlpTraces?: boolean;
  /** Export metrics over OTLP/HTTP. */
  otlpMetrics?: boolean;
  /** Keep metrics for Prometheus text (served at /metrics). */
  prometheus?: boolean;
  /** Tests: spans go here (one by one, no batching). */
  spanExporter?: SpanExporter;
  /** Tests: metrics are read by this reader. */
  metricReader?: IMetricReader;
}

/** Latency buckets in seconds: governed calls take tenths of a millisecond to seconds. */
const SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const HEALTH_VALUE: Record<string, number> = { up: 2, degraded: 1, down: 0 };

export async function createTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": "agov", "service.version": packageVersion() }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as every OpenTelemetry SDK reads them.
    .merge(detectResources({ detectors: [envDetector] }));

  const processors: SpanProcessor[] = [];
  if (opts.spanExporter) processors.push(new SimpleSpanProcessor(opts.spanExporter));
  if (opts.otlpTraces) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const tracing = processors.length > 0;
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: processors });
  const tracer = tracerProvider.getTracer("agov", packageVersion());

  const readers: IMetricReader[] = [];
  if (opts.metricReader) readers.push(opts.metricReader);
  if (opts.otlpMetrics) {
    const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-http");
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() }));
  }
  // No second port: the exporter only collects; agov's own HTTP server serves the text.
  const prom = opts.prometheus ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  if (prom) readers.push(prom);
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const meterProvider = new MeterProvider({ resource, readers });
  const meter = meterProvider.getMeter("agov", packageVersion());

  const calls = meter.createCounter("agov.calls", {
    description: "Governed calls, by tool and decision",
  });
  const duration = meter.createHistogram("agov.call.duration", {
    description: "Governed call latency, from the request to the answer",
    unit: "s",
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const refusals = meter.createCounter("agov.refusals", {
    description: "Refused calls, by error code and reason",
  });
  const revocations = meter.createCounter("agov.revocations", {
    description: "Agents revoked (seen by this process)",
  });
  const lockAcquires = meter.createCounter("agov.lock.acquires", {
    description: "Lock acquire attempts, by outcome (acquired, contended)",
  });
  const lockWait = meter.createHistogram("agov.lock.wait", {
    description: "Lock acquire latency, by outcome",
    unit: "s",
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const ledgerAppend = meter.createHistogram("agov.ledger.append.duration", {
    description: "Ledger append latency, until the row is durable",
    unit: "s",
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const ledgerPending = meter.createUpDownCounter("agov.ledger.pending", {
    description: "Ledger appends written but not yet durable (the ledger's lag)",
  });
  const sessions = meter.createUpDownCounter("agov.sessions", {
    description: "Open MCP sessions",
  });
  const health = meter.createObservableGauge("agov.dependency.health", {
    description: "Dependency health: 2 up, 1 degraded, 0 down",
  });

  const propagator = new W3CTraceContextPropagator();
  // The current call's context, for child spans; our own storage, so nothing global is set.
  const current = new AsyncLocalStorage<Context>();

  function parentOf(carrier: TraceCarrier | undefined): Context {
    if (!carrier || typeof carrier.traceparent !== "string") return ROOT_CONTEXT;
    const headers: Record<string, string> = { traceparent: carrier.traceparent.slice(0, 256) };
    if (typeof carrier.tracestate === "string")
      headers.tracestate = carrier.tracestate.slice(0, 512);
    return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  }

  function ended(span: Span | undefined, note: CallNote, started: bigint, thrown: unknown): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const decision = note.decision ?? (thrown ? "error" : "allow");
    const code = note.error_code ?? (thrown ? "INTERNAL" : undefined);
    const tool = note.tool ?? "(unknown)";
    span?.setAttributes({
      "agov.decision": decision,
      ...(note.agent_id ? { "agov.agent_id": note.agent_id } : {}),
      ...(note.tier !== undefined && note.tier !== null ? { "agov.tier": note.tier } : {}),
      ...(code ? { "agov.error.code": code } : {}),
      ...(note.error_reason ? { "agov.error.reason": note.error_reason } : {}),
      ...(note.task_id ? { "agov.task_id": note.task_id } : {}),
      "agov.latency_us": Math.round(seconds * 1e6),
    });
    if (decision !== "allow")
      span?.setStatus({ code: SpanStatusCode.ERROR, ...(code ? { message: code } : {}) });
    span?.end();
    calls.add(1, {
      "agov.tool": tool,
      "agov.decision": decision,
      ...(code ? { "agov.error.code": code } : {}),
    });
    duration.record(seconds, { "agov.tool": tool, "agov.decision": decision });
    if (decision === "deny")
      refusals.add(1, {
        "agov.tool": tool,
        "agov.error.code": code ?? "DENIED",
        ...(note.error_reason ? { "agov.error.reason": note.error_reason } : {}),
      });
  }

  let shut: Promise<void> | undefined;
  return {
    async call(name, attrs, carrier, fn) {
      const started = process.hrtime.bigint();
      const note: CallNote = {};
      // Metrics only (no span exporter): no span is made at all.
      const span = tracing
        ? tracer.startSpan(
            name,
            {
              kind: SpanKind.SERVER,
              attributes: {
                "agov.tool": attrs.tool,
                "agov.session_id": attrs.session_id,
                "agov.action": attrs.action,
              },
            },
            parentOf(carrier),
          )
        : undefined;
      try {
        const out = span
          ? await current.run(trace.setSpan(ROOT_CONTEXT, span), () => fn(note))
          : await fn(note);
        ended(span, note, started, undefined);
        return out;
      } catch (err) {
        ended(span, note, started, err);
        throw err;
      }
    },
    async child(name, fn) {
      const parent = current.getStore();
      if (!parent) return fn();
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
      try {
        return await current.run(trace.setSpan(parent, span), fn);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? "" });
        throw err;
      } finally {
        span.end();
      }
    },
    ledgerAppend(op, seconds, ok) {
      ledgerAppend.record(seconds, { "agov.ledger.op": op, "agov.ok": ok });
    },
    ledgerPending(delta) {
      ledgerPending.add(delta);
    },
    lockAcquire(acquired, seconds) {
      const outcome = { "agov.lock.outcome": acquired ? "acquired" : "contended" };
      lockAcquires.add(1, outcome);
      lockWait.record(seconds, outcome);
    },
    revoked() {
      revocations.add(1);
    },
    sessions(delta) {
      sessions.add(delta);
    },
    observeHealth(report) {
      health.addCallback((result) => {
        for (const d of report().dependencies)
          result.observe(HEALTH_VALUE[d.status] ?? 0, { "agov.dependency": d.name });
      });
    },
    ...(prom
      ? {
          async prometheus() {
            const { resourceMetrics } = await prom.collect();
            // Scope labels on every series add nothing here (one scope); target_info keeps the resource.
            return serializer.serialize(resourceMetrics);
          },
        }
      : {}),
    shutdown() {
      shut ??= Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]).then(
        () => {},
      );
      return shut;
    },
  };
}
