// When telemetry is on: the standard OpenTelemetry variables for OTLP, agov's own switch for
// /metrics, and off (no SDK loaded) when neither is set.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { telemetryWanted } from "../../src/telemetry/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "agov-config-"));
const load = (env: Record<string, string>) => loadConfig({ env, cwd: dir(), home: "/home/u" });

describe("telemetry configuration", () => {
  it("is off with no OTel variable and no metrics switch", () => {
    const c = load({});
    expect(c).toMatchObject({ metrics: false, otlp_traces: false, otlp_metrics: false });
    expect(telemetryWanted(c)).toBe(false);
  });

  it("exports both signals when OTEL_EXPORTER_OTLP_ENDPOINT is set", () => {
    const c = load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" });
    expect(c).toMatchObject({ otlp_traces: true, otlp_metrics: true, metrics: false });
    expect(telemetryWanted(c)).toBe(true);
  });

  it("exports one signal from its own endpoint variable, and none whose exporter is none", () => {
    expect(load({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })).toMatchObject({
      otlp_traces: true,
      otlp_metrics: false,
    });
    expect(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" }),
    ).toMatchObject({ otlp_traces: true, otlp_metrics: false });
  });

  it("turns everything off with OTEL_SDK_DISABLED=true", () => {
    const c = load({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      AGOV_METRICS: "1",
      OTEL_SDK_DISABLED: "true",
    });
    expect(telemetryWanted(c)).toBe(false);
  });

  it("switches /metrics on from AGOV_METRICS or the file, and names a bad value", () => {
    expect(load({ AGOV_METRICS: "1" }).metrics).toBe(true);
    expect(load({ AGOV_METRICS: "off" }).metrics).toBe(false);
    const cwd = dir();
    writeFileSync(join(cwd, "agov.config.yaml"), "metrics: true\n");
    expect(loadConfig({ env: {}, cwd }).metrics).toBe(true);
    expect(() => load({ AGOV_METRICS: "maybe" })).toThrow(/^config: metrics \(from AGOV_METRICS\)/);
  });

  it("refuses an OTLP protocol agov does not speak", () => {
    expect(() =>
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: agov exports OTLP over HTTP; set http\/json/);
    expect(load({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).otlp_traces).toBe(false);
  });
});
