// What telemetry costs on the governed call path, in one run: three in-process gateways on homes
// of their own, two with telemetry off and one with it on (spans and metrics over OTLP/HTTP to a
// local receiver, batched as in production, plus the Prometheus reader). "off ÷ off" is the noise
// floor of the measurement; "on ÷ off" is the price of telemetry. Part of `npm run bench`
// (`--only telemetry`).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { defaults } from "../src/config/index.js";
import { createRuntime, type Runtime } from "../src/runtime.js";
import { createGateway, type Gateway } from "../src/server/gateway.js";
import { connectInMemory } from "../src/server/memory.js";
import { createTelemetry } from "../src/telemetry/otel.js";
import { TOOLS } from "../tools/index.js";
import { workload } from "./cases.js";
import { interleave, spread, type Timing } from "./harness.js";
import { call, client, READ_TASK } from "./world.js";

interface Side {
  home: string;
  rt: Runtime;
  gateway: Gateway;
  clients: Client[];
}

async function side(telemetry: boolean, pool: number): Promise<Side> {
  const home = mkdtempSync(join(tmpdir(), "agov-bench-otel-"));
  const config = {
    ...defaults(home),
    home,
    log_level: "warn" as const,
    max_sessions_per_agent: 10_000,
    max_sessions: 100_000,
  };
  const rt = await createRuntime(
    config,
    telemetry
      ? {
          telemetry: await createTelemetry({
            otlpTraces: true,
            otlpMetrics: true,
            prometheus: true,
          }),
        }
      : {},
  );
  const gateway = createGateway(rt, TOOLS);
  const { token } = await rt.authority.issue({ agent_id: "bench", tier: 1, ttl_ms: 3_600_000 });
  const clients = await Promise.all(
    Array.from({ length: pool }, async () =>
      client((await connectInMemory(gateway, token)).transport),
    ),
  );
  for (let i = 0; i < 8; i++)
    await call(clients[0]!, "blackboard_post", {
      task_id: READ_TASK,
      section: "progress",
      key: `entry-${i}`,
      value: { note: `entry ${i}`, items: [1, 2, 3] },
      expected_version: 0,
    });
  return { home, rt, gateway, clients };
}

export async function telemetryOverhead(timing: Omit<Timing, "concurrency">): Promise<string> {
  // A collector that takes everything: what is measured is agov's side of the export.
  let received = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The exporters read the standard variable when they are built, as in `agov serve`.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const sides: Side[] = [];
  try {
    const off = await side(false, 8);
    sides.push(off);
    const off2 = await side(false, 8);
    sides.push(off2);
    const on = await side(true, 8);
    sides.push(on);
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    const lines = [
      "| case | conc. | off ops/s | off ÷ off (noise) min / median / max | on ops/s | on ÷ off min / median / max |",
      "|---|---:|---:|---:|---:|---:|",
    ];
    const r = (x: { min: number; median: number; max: number }) =>
      `${x.min.toFixed(2)} / **${x.median.toFixed(2)}** / ${x.max.toFixed(2)}`;
    for (const kind of ["read", "post"] as const)
      for (const concurrency of [1, 16]) {
        const t = { ...timing, concurrency };
        const tag = `otel-${kind}-c${concurrency}`;
        const noise = await interleave(
          workload(kind, off.clients, `${tag}-a`),
          workload(kind, off2.clients, `${tag}-b`),
          t,
        );
        const cost = await interleave(
          workload(kind, off.clients, `${tag}-c`),
          workload(kind, on.clients, `${tag}-d`),
          t,
        );
        const name = kind === "read" ? "blackboard_read" : "blackboard_post";
        lines.push(
          `| ${name} | ${concurrency} | ${Math.round(spread(cost.bare).median).toLocaleString("en")} | ${r(spread(noise.ratios))} | ${Math.round(spread(cost.governed).median).toLocaleString("en")} | ${r(spread(cost.ratios))} |`,
        );
        process.stderr.write(`telemetry ${name} c${concurrency}: done\n`);
      }
    await on.rt.telemetry?.shutdown();
    return `Telemetry (in-process; "on": spans and metrics over OTLP/HTTP to a local receiver, which took ${received} export requests, and the Prometheus reader)\n\n${lines.join("\n")}`;
  } finally {
    for (const s of sides) {
      await Promise.allSettled(s.clients.map((c) => c.close()));
      s.gateway.close();
      await s.rt.close();
      rmSync(s.home, { recursive: true, force: true });
    }
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
}
