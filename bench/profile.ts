// A CPU profile of governed calls in this process, the way the figures in docs/performance.md
// were found: 16 agents call one tool concurrently against the embedded stores.
//   node --cpu-prof --cpu-prof-dir=prof --import tsx bench/profile.ts post|lock|read [calls]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { defaults } from "../src/config/index.js";
import { createRuntime } from "../src/runtime.js";
import { createGateway } from "../src/server/gateway.js";
import { connectInMemory } from "../src/server/memory.js";
import { TOOLS } from "../tools/index.js";

const home = mkdtempSync(join(tmpdir(), "agov-prof-"));
const rt = await createRuntime({ ...defaults(home), home, log_level: "silent" });
const gw = createGateway(rt, TOOLS);
const clients: Client[] = [];
for (let i = 0; i < 16; i++) {
  const { token } = await rt.authority.issue({ agent_id: `a${i}`, tier: 2, ttl_ms: 3_600_000 });
  const conn = await connectInMemory(gw, token);
  const c = new Client({ name: "p", version: "0" });
  await c.connect(conn.transport);
  clients.push(c);
}
const kind = process.argv[2] ?? "post";
const N = Number(process.argv[3] ?? 2000);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  clients.map(async (c, i) => {
    let v = 0;
    for (let n = 0; n < N; n++) {
      if (kind === "post") {
        const r = await c.callTool({
          name: "blackboard_post",
          arguments: {
            task_id: "t",
            section: "progress",
            key: `k${i}`,
            value: n,
            expected_version: v,
          },
        });
        if (r.isError) throw new Error(JSON.stringify(r.content));
        v++;
      } else if (kind === "lock") {
        const r = await c.callTool({
          name: "lock_acquire",
          arguments: { resource: `r${i}`, ttl_ms: 60000 },
        });
        const lease = (r.structuredContent as { lease_id: string }).lease_id;
        await c.callTool({
          name: "lock_release",
          arguments: { resource: `r${i}`, lease_id: lease },
        });
      } else {
        await c.callTool({ name: "blackboard_read", arguments: { task_id: "t" } });
      }
    }
  }),
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
// CPU time per call moves far less than ops/s with the load of a shared machine.
const cpuUs = (cpu.user + cpu.system) / (16 * N);
console.log(
  kind,
  ((16 * N) / (ms / 1000)).toFixed(0),
  "ops/s,",
  cpuUs.toFixed(1),
  "µs CPU per call",
);
await rt.close();
