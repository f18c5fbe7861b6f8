// One offline `agov run` in this process (the offline model, in-memory transport): its wall time
// the share of it spent in governed calls, and the share the event loop spent idle (waiting on
// nothing but timers: what polling used to cost).
import { performance } from "node:perf_hooks";
import { connectGoverned } from "../agents/client.js";
import { createOfflineModel } from "../agents/offline-model.js";
import { PARTICIPANT_TIERS, runTask } from "../agents/orchestrator.js";
import type { Tier } from "../src/authority/index.js";
import type { Gateway } from "../src/server/gateway.js";
import { connectInMemory } from "../src/server/memory.js";

export async function offlineRun(gateway: Gateway): Promise<string> {
  const rt = gateway.runtime;
  const rows = await rt.ledger.count();
  const loop = performance.eventLoopUtilization();
  const result = await runTask({
    objective: "Design a distributed event-driven analytics platform",
    taskId: "bench-run",
    agentIds: { ORCHESTRATOR: "b-orch", ALPHA: "b-alpha", BETA: "b-beta", GAMMA: "b-gamma" },
    model: createOfflineModel(),
    timeoutMs: 120_000,
    async connect(who, agentId) {
      const { token } = await rt.authority.issue({
        agent_id: agentId,
        tier: PARTICIPANT_TIERS[who] as Tier,
        ttl_ms: 600_000,
      });
      return connectGoverned(agentId, (await connectInMemory(gateway, token)).transport);
    },
  });
  const idle = 1 - performance.eventLoopUtilization(loop).utilization;
  const m = result.metrics;
  const share = (m.governance_ms / m.duration_ms) * 100;
  return [
    "| offline agov run (in-memory) | value |",
    "|---|---:|",
    `| wall time | ${(m.duration_ms / 1000).toFixed(2)} s |`,
    `| governed calls | ${m.governance_calls} (${(await rt.ledger.count()) - rows} ledger rows) |`,
    `| time in governed calls, summed over agents | ${m.governance_ms} ms |`,
    `| share of wall time in governed calls | ${share.toFixed(1)} % |`,
    `| share of wall time the event loop was idle | ${(idle * 100).toFixed(1)} % |`,
    `| outcome | ${m.consensus}, GAMMA on ${m.gamma_spawn_reason ?? "—"} |`,
  ].join("\n");
}
