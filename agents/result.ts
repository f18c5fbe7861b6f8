// What a run produced, read back through MCP (consensus, blackboard, handoff), as data for --json
// (the seed's metrics) and as a Markdown report for people.
import type { GovernedClient } from "./client.js";
import type { ModelFault } from "./model-watch.js";
import type { Participant, Replacement, SpecialistResult } from "./orchestrator.js";
import type { ProgressEvent } from "./progress.js";

export interface RunMetrics {
  duration_ms: number;
  messages: number;
  blackboard_ops: number;
  model_calls: number;
  governance_calls: number;
  refused_calls: number;
  /** Wall time the agents spent waiting on governed calls (summed over agents, so it can overlap). */
  governance_ms: number;
  gamma_spawned: boolean;
  gamma_spawn_reason: string | null;
  consensus: "accepted" | "none";
  ledger_rows: number | null;
}

export interface RunResult {
  task_id: string;
  objective: string;
  model: string;
  agents: Record<Participant, string>;
  outcome: {
    consensus: boolean;
    title: string | null;
    proposal: Record<string, unknown> | null;
    reason: string;
  };
  proposals: Array<{
    id: string;
    title: string;
    author: string;
    status: string;
    reason: string;
    votes: unknown[];
  }>;
  revoked: Array<{ agent: string; reason: string }>;
  /** Fresh agents that took over from agents revoked for their own faults. */
  replacements: Replacement[];
  /** Specialists the run added beside ALPHA and BETA. */
  specialists: SpecialistResult[];
  /** What the model endpoint did wrong, when it failed at all (provider faults are not charged). */
  model_fault: ModelFault | null;
  handoff: Record<string, unknown> | null;
  timed_out: boolean;
  metrics: RunMetrics;
}

export async function collectOutcome(i: {
  orch: GovernedClient;
  taskId: string;
  objective: string;
  modelName: string;
  agentIds: Record<Participant, string>;
  spawn: { reason: string; detail: string } | null;
  revoked: Map<string, string>;
  replacements?: Replacement[];
  specialists?: SpecialistResult[];
  modelFault?: ModelFault | null;
  timedOut: boolean;
  durationMs: number;
  events: ProgressEvent[];
  modelCalls: number;
  clients: GovernedClient[];
}): Promise<RunResult> {
  const status = await i.orch.must("consensus_status", { task_id: i.taskId });
  const proposals: RunResult["proposals"] = status.proposals;
  const board = await i.orch.must("blackboard_read", { task_id: i.taskId, section: "consensus" });
  const final = board.entries.find((e) => e.key === "final")?.value;
  const handoff = await i.orch.must("handoff_read", { task_id: i.taskId });
  // Revocations the agents did not see as such (a refused call whose failure revoked them) are on
  // the task's roster (spawn_conditions carries it).
  const conditions = await i.orch.must("spawn_conditions", { task_id: i.taskId });
  const roster = conditions.roster;
  const revoked = new Map(i.revoked);
  for (const [agent, line] of Object.entries(roster))
    if (line.phase === "REVOKED" && !revoked.has(agent)) revoked.set(agent, line.step);
  const stats = i.clients.map((c) => c.stats());
  const sum = (k: "calls" | "refused" | "ms") => stats.reduce((n, s) => n + s[k], 0);
  const accepted = final ? (final.proposal as Record<string, unknown>) : null;
  const rejected = proposals.filter((p) => p.status !== "accepted");
  return {
    task_id: i.taskId,
    objective: i.objective,
    model: i.modelName,
    agents: i.agentIds,
    outcome: {
      consensus: !!final,
      title: final ? String(final.title) : null,
      proposal: accepted ? ((accepted.content as Record<string, unknown>) ?? null) : null,
      reason: final
        ? String(final.reason)
        : i.modelFault?.failing
          ? `the model endpoint ${i.modelFault.endpoint} (${i.modelFault.model}) kept failing: ` +
            `${i.modelFault.failures} failed attempt(s), the last ${i.modelFault.kind}: ` +
            `${i.modelFault.message}${i.timedOut ? "; the run timed out waiting for it" : ""}`
          : i.timedOut
            ? "the run timed out before a proposal was accepted"
            : rejected.length
              ? `no proposal was accepted: ${rejected.map((p) => `"${p.title}" ${p.status} (${p.reason})`).join("; ")}`
              : "no proposal was made",
    },
    proposals,
    revoked: [...revoked].map(([agent, reason]) => ({ agent, reason })),
    replacements: i.replacements ?? [],
    specialists: i.specialists ?? [],
    model_fault: i.modelFault ?? null,
    handoff: handoff.found ? handoff.handoff : null,
    timed_out: i.timedOut,
    metrics: {
      duration_ms: i.durationMs,
      messages: i.events.filter((e) => e.type === "message").length,
      blackboard_ops: i.events.filter((e) => e.type === "proposal" || e.type === "vote").length,
      model_calls: i.modelCalls,
      governance_calls: sum("calls"),
      refused_calls: sum("refused"),
      governance_ms: Math.round(sum("ms")),
      gamma_spawned: !!i.spawn,
      gamma_spawn_reason: i.spawn?.reason ?? null,
      consensus: final ? "accepted" : "none",
      ledger_rows: null,
    },
  };
}

export function renderReport(r: RunResult): string {
  const out: string[] = [`# ${r.objective}`, ""];
  if (r.model === "offline")
    out.push(
      "> Written by the offline model: a deterministic placeholder built from the objective's keywords, not the work of a real model. Set OPENROUTER_API_KEY or OPENAI_BASE_URL for real content.",
      "",
    );
  out.push(
    r.outcome.consensus
      ? `**Consensus reached** on "${r.outcome.title}" — ${r.outcome.reason}.`
      : `**No consensus was reached**: ${r.outcome.reason}.`,
    "",
  );
  const p = r.outcome.proposal;
  if (p) {
    out.push("## The agreed design", "", String(p.summary ?? ""), "");
    const components = (p.components ?? []) as Array<Record<string, string>>;
    if (components.length) {
      out.push("| component | responsibility | technology |", "|---|---|---|");
      for (const c of components) out.push(`| ${c.name} | ${c.responsibility} | ${c.technology} |`);
      out.push("");
    }
    const resolved = (p.resolved_conflicts ?? []) as Array<{ topic: string; resolution: string }>;
    if (resolved.length) {
      out.push("### Conflicts resolved", "");
      for (const c of resolved) out.push(`- **${c.topic}**: ${c.resolution}`);
      out.push("");
    }
    const tradeoffs = (p.tradeoffs ?? []) as string[];
    if (tradeoffs.length) out.push("### Trade-offs", "", ...tradeoffs.map((t) => `- ${t}`), "");
    if (p.rationale) out.push("### Rationale", "", String(p.rationale), "");
  }
  out.push("## How it was reached", "");
  for (const q of r.proposals) {
    const votes = (q.votes as Array<{ agent: string; vote: string }>)
      .map((v) => `${v.agent} ${v.vote}`)
      .join(", ");
    out.push(
      `- "${q.title}" by ${q.author}: **${q.status}** (${q.reason})${votes ? ` — votes: ${votes}` : ""}`,
    );
  }
  out.push(
    `- Mediator: ${r.metrics.gamma_spawned ? `GAMMA spawned on ${r.metrics.gamma_spawn_reason}` : "not needed"}`,
    "",
  );
  if (r.specialists.length) {
    out.push("## Specialists", "");
    for (const x of r.specialists)
      out.push(
        `- ${x.name} \`${x.agent}\` (T${x.tier}): ${x.completed ? `reviewed ${x.reviewed ? `"${x.reviewed}"` : "nothing (no proposal arrived)"}; artifacts ${x.artifacts.join(", ")}` : `stopped: ${x.error ?? "the run ended first"}`}`,
      );
    out.push("");
  }
  out.push("## Governance", "");
  out.push(
    `- Agents: ${Object.entries(r.agents)
      .map(([role, id]) => `${role} \`${id}\``)
      .join(", ")}; model: ${r.model}`,
    `- Governed calls: ${r.metrics.governance_calls} (${r.metrics.refused_calls} refused), ${r.metrics.model_calls} model calls, ${r.metrics.messages} messages${r.metrics.ledger_rows !== null ? `, ${r.metrics.ledger_rows} ledger rows` : ""}`,
  );
  for (const x of r.revoked) out.push(`- Revoked: ${x.agent} — ${x.reason}`);
  for (const x of r.replacements)
    out.push(`- ${x.role}: ${x.replaced} replaced by ${x.by}, which continued from its handoff`);
  if (r.model_fault)
    out.push(
      `- Model endpoint ${r.model_fault.endpoint}: ${r.model_fault.failures} failed attempt(s) (the provider's, not charged to any agent)${r.model_fault.failing ? `, still failing at the end: ${r.model_fault.kind}` : ", recovered"}`,
    );
  if (r.handoff)
    out.push(
      `- Handoff left by ${String(r.handoff.previous_agent_id)}: ${String(r.handoff.blocking_issue)}`,
    );
  if (r.timed_out) out.push("- The run hit its timeout.");
  out.push(`- Task \`${r.task_id}\`: \`agov audit query --since 1h\` shows every call.`, "");
  return out.join("\n");
}
