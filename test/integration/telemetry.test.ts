// Telemetry of the governed call path with the OpenTelemetry in-memory exporters: one span per
// call with its attributes, children for ledger/state/authority work, the caller's trace context
// from `_meta`, refusals by reason, and the metrics counters.

import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { createTelemetry } from "../../src/telemetry/otel.js";
import { type InProc, startInProc } from "../support/inproc.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

async function withTelemetry(prometheus = false) {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metrics,
    exportIntervalMillis: 3_600_000,
  });
  const telemetry = await createTelemetry({
    spanExporter: spans,
    metricReader: reader,
    prometheus,
  });
  const env = await startInProc({ telemetry });
  /** The data points of a metric by name, after a collection. */
  const points = async (name: string) => {
    await reader.forceFlush();
    const last = metrics.getMetrics().at(-1);
    const metric = last?.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as Array<{
      attributes: Record<string, unknown>;
      value: unknown;
    }>;
  };
  return { spans, env, telemetry, points };
}

const calls = (spans: InMemorySpanExporter) =>
  spans.getFinishedSpans().filter((s) => s.name.startsWith("tools/call "));
const childrenOf = (spans: InMemorySpanExporter, parent: ReadableSpan) =>
  spans
    .getFinishedSpans()
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

describe("telemetry of governed calls", () => {
  let env: InProc | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it("makes one span per call with the tool, tier, decision, agent, task and session", async () => {
    const t = await withTelemetry();
    env = t.env;
    const alpha = await env.connect("alpha", 1);
    const r = await alpha.call("blackboard_post", {
      task_id: "task-7",
      section: "progress",
      key: "k",
      value: 1,
      expected_version: 0,
    });
    expect(r.isError, r.text).toBe(false);
    const [span, ...more] = calls(t.spans);
    expect(more).toHaveLength(0);
    expect(span!.name).toBe("tools/call blackboard_post");
    expect(span!.attributes).toMatchObject({
      "agov.tool": "blackboard_post",
      "agov.tier": 1,
      "agov.decision": "allow",
      "agov.agent_id": "alpha",
      "agov.task_id": "task-7",
      "agov.action": "tools/call",
    });
    expect(span!.attributes["agov.session_id"]).toEqual(expect.any(String));
    expect(span!.attributes["agov.error.code"]).toBeUndefined();
    expect(span!.status.code).toBe(0);
    // A new root: no parent, its own trace.
    expect(span!.parentSpanContext).toBeUndefined();
    const children = childrenOf(t.spans, span!).map((s) => s.name);
    expect(children).toContain("authority resolve");
    expect(children).toContain("ledger begin");
    expect(children).toContain("state blackboard.post");
    // Work outside the call (issuing the token, opening the session) makes no spans: every span
    // there is belongs to the call's one trace.
    const traces = new Set(t.spans.getFinishedSpans().map((s) => s.spanContext().traceId));
    expect([...traces]).toEqual([span!.spanContext().traceId]);
  });

  it("continues the caller's trace from the request's _meta traceparent", async () => {
    const t = await withTelemetry();
    env = t.env;
    const alpha = await env.connect("alpha", 0);
    await alpha.client.callTool({
      name: "whoami",
      arguments: {},
      _meta: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "vendor=x" },
    });
    await alpha.client.callTool({ name: "whoami", arguments: {} });
    const [first, second] = calls(t.spans);
    expect(first!.spanContext().traceId).toBe(TRACE);
    expect(first!.parentSpanContext?.spanId).toBe(PARENT);
    expect(first!.spanContext().traceState?.get("vendor")).toBe("x");
    expect(second!.spanContext().traceId).not.toBe(TRACE);
    expect(second!.parentSpanContext).toBeUndefined();
  });

  it("traces a resource read as the equivalent tool's call, in the caller's trace", async () => {
    const t = await withTelemetry();
    env = t.env;
    const alpha = await env.connect("alpha", 0);
    await alpha.client.readResource({
      uri: "agov://tasks/t1/blackboard/progress",
      _meta: { traceparent: `00-${TRACE}-${PARENT}-01` },
    });
    const span = t.spans.getFinishedSpans().find((s) => s.name.startsWith("resources/read "));
    expect(span?.name).toBe("resources/read blackboard_read");
    expect(span!.attributes).toMatchObject({
      "agov.tool": "blackboard_read",
      "agov.action": "resources/read agov://tasks/t1/blackboard/progress",
      "agov.decision": "allow",
      "agov.agent_id": "alpha",
      "agov.task_id": "t1",
    });
    expect(span!.spanContext().traceId).toBe(TRACE);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT);
  });

  it("ignores a malformed traceparent and starts a new trace", async () => {
    const t = await withTelemetry();
    env = t.env;
    const alpha = await env.connect("alpha", 0);
    await alpha.client.callTool({
      name: "whoami",
      arguments: {},
      _meta: { traceparent: "not-a-trace".repeat(1000) },
    });
    const [span] = calls(t.spans);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.attributes["agov.decision"]).toBe("allow");
  });

  it("marks refusals as errors with their code and counts them by reason", async () => {
    const t = await withTelemetry();
    env = t.env;
    const observer = await env.connect("watcher", 0);
    const denied = await observer.call("lock_acquire", { resource: "db", ttl_ms: 5000 });
    expect(denied.code).toBe("DENIED");
    const unknown = await observer.call("no_such_tool_xyz", {});
    expect(unknown.code).toBe("NOT_FOUND");
    const [a, b] = calls(t.spans);
    expect(a!.attributes).toMatchObject({
      "agov.decision": "deny",
      "agov.error.code": "DENIED",
      "agov.agent_id": "watcher",
      "agov.tier": 0,
    });
    expect(a!.status.code).toBe(2);
    expect(b!.attributes).toMatchObject({
      "agov.decision": "deny",
      "agov.error.code": "NOT_FOUND",
      "agov.tool": "(unknown)",
    });
    // Nor a span name: a caller inventing names cannot make one span name per name.
    expect(b!.name).toBe("tools/call (unknown)");
    expect(JSON.stringify(b!.attributes)).not.toContain("no_such_tool_xyz");

    const refusals = await t.points("agov.refusals");
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          attributes: { "agov.tool": "lock_acquire", "agov.error.code": "DENIED" },
          value: 1,
        }),
        // An unknown tool's name is the caller's: never a label.
        expect.objectContaining({
          attributes: { "agov.tool": "(unknown)", "agov.error.code": "NOT_FOUND" },
          value: 1,
        }),
      ]),
    );
  });

  it("counts calls by tool and decision, latency, locks, ledger appends, sessions and health", async () => {
    const t = await withTelemetry();
    env = t.env;
    const a = await env.connect("alpha", 1);
    const b = await env.connect("beta", 1);
    expect((await a.call("lock_acquire", { resource: "db", ttl_ms: 5000 })).isError).toBe(false);
    expect((await b.call("lock_acquire", { resource: "db", ttl_ms: 5000 })).code).toBe("CONFLICT");
    await a.call("whoami");
    await a.call("whoami");

    const byCall = await t.points("agov.calls");
    const count = (attrs: Record<string, unknown>) =>
      byCall.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attrs))?.value;
    expect(count({ "agov.tool": "whoami", "agov.decision": "allow" })).toBe(2);
    expect(count({ "agov.tool": "lock_acquire", "agov.decision": "allow" })).toBe(1);
    expect(
      count({
        "agov.tool": "lock_acquire",
        "agov.decision": "error",
        "agov.error.code": "CONFLICT",
      }),
    ).toBe(1);

    const latency = (await t.points("agov.call.duration")).find(
      (p) => p.attributes["agov.tool"] === "whoami",
    );
    expect((latency?.value as { count?: number } | undefined)?.count).toBe(2);

    const locks = await t.points("agov.lock.acquires");
    expect(locks.map((p) => [p.attributes["agov.lock.outcome"], p.value]).sort()).toEqual([
      ["acquired", 1],
      ["contended", 1],
    ]);
    const appends = await t.points("agov.ledger.append.duration");
    expect(appends.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBeGreaterThan(
      4,
    );
    expect((await t.points("agov.ledger.pending"))[0]?.value).toBe(0);
    expect((await t.points("agov.sessions"))[0]?.value).toBe(2);
    await b.close();
    expect((await t.points("agov.sessions"))[0]?.value).toBe(1);
    const health = await t.points("agov.dependency.health");
    expect(health.map((p) => [p.attributes["agov.dependency"], p.value]).sort()).toEqual([
      ["authority", 2],
      ["ledger", 2],
      ["state", 2],
    ]);
  });

  it("counts revocations", async () => {
    const t = await withTelemetry();
    env = t.env;
    const boss = await env.connect("boss", 4);
    await env.connect("victim", 1);
    const r = await boss.call("agent_revoke", { agent_id: "victim", reason: "test" });
    expect(r.isError, r.text).toBe(false);
    const [rev] = await t.points("agov.revocations");
    expect(rev?.value).toBe(1);
  });

  it("renders the counters as Prometheus text", async () => {
    const t = await withTelemetry(true);
    env = t.env;
    const a = await env.connect("alpha", 0);
    await a.call("whoami");
    const text = await t.telemetry.prometheus!();
    expect(text).toMatch(/^agov_calls_total\{agov_tool="whoami",agov_decision="allow"\} 1$/m);
    expect(text).toMatch(
      /^agov_call_duration_count\{agov_tool="whoami",agov_decision="allow"\} 1$/m,
    );
    expect(text).not.toContain(a.token);
  });
});
