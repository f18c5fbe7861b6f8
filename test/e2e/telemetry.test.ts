// Telemetry through the real binary: `agov run` exporting over OTLP/HTTP to a local receiver (one
// trace per governed call, matching the run's ledger rows), and /metrics on `agov serve --http`.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { agov, httpClient, httpServer, issueToken, tempHome } from "../support/agov.js";

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status?: { code?: number };
}

/** A local OTLP/HTTP receiver that keeps every JSON body posted to it, by path. */
async function otlpReceiver() {
  const bodies: Array<{ path: string; body: unknown }> = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (text += d));
    req.on("end", () => {
      bodies.push({ path: req.url ?? "", body: JSON.parse(text) });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () =>
      bodies
        .filter((b) => b.path === "/v1/traces")
        .flatMap(
          (b) =>
            (b.body as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> })
              .resourceSpans,
        )
        .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    /** service.name of every resource that sent spans. */
    services: () =>
      bodies
        .filter((b) => b.path === "/v1/traces")
        .flatMap(
          (b) =>
            (
              b.body as {
                resourceSpans: Array<{
                  resource: { attributes: Array<{ key: string; value: OtlpValue }> };
                }>;
              }
            ).resourceSpans,
        )
        .map((r) => r.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue),
    metrics: () =>
      bodies
        .filter((b) => b.path === "/v1/metrics")
        .map(
          (b) =>
            (
              b.body as {
                resourceMetrics: Array<{
                  scopeMetrics: Array<{ metrics: Array<{ name: string; sum?: unknown }> }>;
                }>;
              }
            ).resourceMetrics,
        ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
};

interface Row {
  kind: string;
  tool: string | null;
  agent_id: string;
  session_id: string | null;
  decision: "allow" | "deny";
  success: boolean | null;
  tier: number | null;
  detail: { task_id?: string } | null;
}

describe("telemetry through the real binary", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.allSettled(cleanup.splice(0).map((f) => f()));
  });

  it("agov run exports one trace per governed call to an OTLP receiver, matching the ledger", async () => {
    const receiver = await otlpReceiver();
    cleanup.push(receiver.close);
    const home = tempHome();
    const r = await agov(["run", "Design a data platform"], {
      AGOV_HOME: home,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "agov-e2e",
      // The batch drops spans past its queue (2,048) when export falls behind, as the SDK does
      // under overload; a loaded test machine must not turn that into a missing trace here.
      OTEL_BSP_MAX_QUEUE_SIZE: "100000",
    });
    expect(r.code, r.stderr).toBe(0);

    const rows = (
      JSON.parse(
        (
          await agov(["audit", "query", "--all", "--json", "--kind", "tool_call"], {
            AGOV_HOME: home,
          })
        ).stdout,
      ) as Row[]
    ).filter((row) => row.kind === "tool_call");
    expect(rows.length).toBeGreaterThan(20);

    const spans = receiver.spans();
    // The standard resource variables reach the exported resource.
    expect([...new Set(receiver.services())]).toEqual(["agov-e2e"]);
    const roots = spans.filter((s) => !s.parentSpanId);
    // One trace per governed call: every call span is a root of its own trace.
    expect(roots.length).toBe(rows.length);
    expect(new Set(roots.map((s) => s.traceId)).size).toBe(roots.length);
    for (const s of roots)
      expect(s.name).toMatch(/^(tools\/call|resources\/(read|subscribe)) [a-z_]+$/);

    const key = (tool: unknown, agent: unknown, session: unknown, decision: unknown) =>
      `${tool}|${agent}|${session}|${decision}`;
    const fromSpans = roots
      .map((s) =>
        key(
          attr(s, "agov.tool"),
          attr(s, "agov.agent_id"),
          attr(s, "agov.session_id"),
          attr(s, "agov.decision"),
        ),
      )
      .sort();
    const fromRows = rows
      .map((row) =>
        key(
          row.tool,
          row.agent_id,
          row.session_id,
          row.decision === "deny" ? "deny" : row.success === true ? "allow" : "error",
        ),
      )
      .sort();
    expect(fromSpans).toEqual(fromRows);

    // Tier and task as on the rows; a refusal's span is an error with the row's code.
    const tiers = (xs: Array<unknown>) => [...new Set(xs)].sort();
    expect(tiers(roots.map((s) => attr(s, "agov.tier")))).toEqual(tiers(rows.map((x) => x.tier)));
    const tasks = rows.filter((x) => x.detail?.task_id).length;
    expect(roots.filter((s) => attr(s, "agov.task_id")).length).toBe(tasks);
    for (const s of roots.filter((s) => attr(s, "agov.decision") !== "allow")) {
      expect(s.status?.code).toBe(2);
      expect(attr(s, "agov.error.code")).toMatch(/^[A-Z_]+$/);
    }

    // Each call's ledger write is a child in its trace.
    const ledgerTraces = new Set(
      spans.filter((s) => /^ledger (begin|record)$/.test(s.name)).map((s) => s.traceId),
    );
    for (const s of roots) expect(ledgerTraces.has(s.traceId), s.name).toBe(true);

    // Metrics went too, at shutdown: the call counter adds up to the calls.
    const last = receiver.metrics().at(-1)!;
    const calls = last
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.name === "agov.calls") as {
      sum: { dataPoints: Array<{ asInt?: string | number; asDouble?: number }> };
    };
    const total = calls.sum.dataPoints.reduce((n, p) => n + Number(p.asInt ?? p.asDouble ?? 0), 0);
    expect(total).toBe(rows.length);
  });

  it("agov serve --http continues a client's trace from _meta and exports it when stopped", async () => {
    const receiver = await otlpReceiver();
    cleanup.push(receiver.close);
    const home = tempHome();
    const token = await issueToken(home, "alpha", 1);
    const server = await httpServer(home, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
    });
    cleanup.push(server.stop);
    const { client, close } = await httpClient(server.url, token);
    const trace = "0af7651916cd43dd8448eb211c80319c";
    await client.callTool({
      name: "whoami",
      arguments: {},
      _meta: { traceparent: `00-${trace}-b7ad6b7169203331-01` },
    });
    await close();
    // SIGTERM shuts the providers down, which exports what the batch still holds.
    await server.stop();
    const span = receiver.spans().find((s) => s.name === "tools/call whoami");
    expect(span?.traceId).toBe(trace);
    expect(span?.parentSpanId).toBe("b7ad6b7169203331");
    expect(attr(span!, "agov.agent_id")).toBe("alpha");
    expect(attr(span!, "agov.tier")).toBe(1);
    // Only traces were asked for.
    expect(receiver.metrics()).toHaveLength(0);
  });

  it("serves the counters at /metrics on agov serve --http, to a bearer of a valid token", async () => {
    const home = tempHome();
    const token = await issueToken(home, "alpha", 1);
    const server = await httpServer(home, { AGOV_METRICS: "1" });
    cleanup.push(server.stop);
    const { client, close } = await httpClient(server.url, token);
    cleanup.push(close);
    await client.callTool({ name: "whoami", arguments: {} });
    await client.callTool({ name: "whoami", arguments: {} });
    await client.callTool({ name: "agent_revoke", arguments: { agent_id: "x", reason: "no" } });

    const metricsUrl = new URL("/metrics", server.url).href;
    expect((await fetch(metricsUrl)).status).toBe(401);
    const bad = await fetch(metricsUrl, { headers: { authorization: "Bearer nope" } });
    expect(bad.status).toBe(401);
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^agov_calls_total\{agov_tool="whoami",agov_decision="allow"\} 2$/m);
    expect(text).toMatch(
      /^agov_refusals_total\{agov_tool="agent_revoke",agov_error_code="DENIED"\} 1$/m,
    );
    expect(text).toMatch(/^agov_sessions 1$/m);
    expect(text).toMatch(/^agov_dependency_health\{agov_dependency="ledger"\} 2$/m);
    expect(text).toMatch(/^target_info\{.*service_name="agov"/m);
    // Ids and tokens are never labels.
    expect(text).not.toContain(token);
    expect(text).not.toContain("alpha");
  });

  it("loads no OpenTelemetry module when telemetry is off", async () => {
    const home = tempHome();
    // A resolve hook that names every @opentelemetry module the process asks for.
    writeFileSync(
      `${home}/hook.mjs`,
      'export async function resolve(s, c, next) { if (s.includes("@opentelemetry")) process.stderr.write("OTEL " + s + "\\n"); return next(s, c); }',
    );
    writeFileSync(
      `${home}/register.mjs`,
      `import { register } from "node:module"; register(${JSON.stringify(`file://${home}/hook.mjs`)});`,
    );
    const run = (env: Record<string, string>) =>
      agov(["audit", "query", "--limit", "1"], {
        AGOV_HOME: home,
        NODE_OPTIONS: `--import ${home}/register.mjs`,
        ...env,
      });
    const off = await run({});
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toMatch(/OTEL /);
    const on = await run({ AGOV_METRICS: "1" });
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toMatch(/OTEL @opentelemetry\/sdk-metrics/);
  });

  it("answers 404 at /metrics when metrics are off", async () => {
    const home = tempHome();
    const token = await issueToken(home, "alpha", 1);
    const server = await httpServer(home);
    cleanup.push(server.stop);
    const res = await fetch(new URL("/metrics", server.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/AGOV_METRICS=1/);
  });
});
