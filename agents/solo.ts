// One governed agent through one task on its own (the seed's "governed LLM agent"): it reads its
// packet, walks BOOTSTRAP … EXIT, plans and writes each deliverable the packet names with the
// model, records every artifact, and reads back its own rows of the audit ledger for the report.
import { type AgentEnv, AgentStopped, createAgentKit, type Phase } from "./agent.js";
import { AgentRevoked, CallRefusedError } from "./client.js";
import { ModelError } from "./model.js";
import { Plan, Proposal } from "./schemas.js";

export interface SoloResult {
  agent_id: string;
  task_id: string;
  objective: string;
  model: string;
  completed: boolean;
  /** Why the agent stopped before EXIT. */
  error: string | null;
  phases: Array<{ phase: Phase; at: string }>;
  artifacts: Array<{ name: string; kind: string }>;
  ledger: {
    rows: number;
    entries: Array<{ at: string; tool: string | null; decision: string; action: string }>;
  };
}

export async function runSolo(env: AgentEnv): Promise<SoloResult> {
  const phases: SoloResult["phases"] = [];
  const artifacts: SoloResult["artifacts"] = [];
  const kit = createAgentKit({
    ...env,
    progress: (e) => {
      if (e.type === "phase")
        phases.push({ phase: e.phase as Phase, at: new Date().toISOString() });
      env.progress(e);
    },
  });
  const record = async (name: string, kind: string, content: unknown) => {
    await kit.artifact(name, kind, content);
    artifacts.push({ name, kind });
  };
  let error: string | null = null;
  try {
    await kit.phase("BOOTSTRAP", "single agent");
    await kit.phase("PREFLIGHT");
    const packet = await env.client.must("packet_get");
    const handoff = await env.client.must("handoff_read", { task_id: env.taskId });
    const deliverables = ((packet.deliverables as string[] | undefined) ?? []).filter(
      (d) => d !== "plan" && d !== "report",
    );
    const about = {
      deliverables,
      constraints: packet.constraints,
      success_criteria: packet.success_criteria,
    };
    await kit.phase("PLAN");
    const plan = await kit.think(
      "plan",
      { ...about, ...(handoff.found ? { handoff: handoff.handoff } : {}) },
      Plan,
    );
    await record("plan", "plan", plan);
    await kit.phase("EXECUTE");
    for (const name of deliverables.length ? deliverables : ["design"]) {
      const work = await kit.think("proposal", { ...about, deliverable: name, plan }, Proposal);
      await record(name, "deliverable", { deliverable: name, ...work, steps: plan.steps });
    }
    await kit.phase("VERIFY");
    const missing = deliverables.filter((d) => !artifacts.some((a) => a.name === d));
    if (missing.length) throw new Error(`deliverables not recorded: ${missing.join(", ")}`);
    await kit.phase("PACKAGE");
    await record("report", "report", {
      objective: env.objective,
      plan: plan.summary,
      deliverables: artifacts.filter((a) => a.kind === "deliverable").map((a) => a.name),
    });
    await kit.phase("REPORT");
    await kit.phase("EXIT");
  } catch (err) {
    // Its time ran out (the model call in flight ends with the abort's own error).
    if (env.signal.aborted) error = "its time ran out before EXIT";
    else if (
      !(err instanceof AgentRevoked) &&
      !(err instanceof AgentStopped) &&
      !(err instanceof ModelError) &&
      !(err instanceof CallRefusedError)
    )
      throw err;
    else error = (err as Error).message;
  }
  // Its own rows of the audit ledger (every caller may read its own).
  const audit = await env.client.call("audit_query", { agent_id: env.agentId, limit: 1000 });
  const rows = audit.ok
    ? (audit.data.rows as Array<{
        timestamp: string;
        tool: string | null;
        decision: string;
        action: string;
      }>)
    : [];
  return {
    agent_id: env.agentId,
    task_id: env.taskId,
    objective: env.objective,
    model: env.model.name,
    completed: error === null,
    error,
    phases,
    artifacts,
    ledger: {
      rows: rows.length,
      entries: rows
        .map((r) => ({
          at: r.timestamp,
          tool: r.tool,
          decision: r.decision,
          action: r.action,
        }))
        .reverse(),
    },
  };
}

export function renderSoloReport(r: SoloResult & { tier: number }): string {
  const out = [`# ${r.objective}`, ""];
  out.push(
    r.completed
      ? `**Completed**: agent \`${r.agent_id}\` (T${r.tier}) went through every phase and recorded ${r.artifacts.length} artifacts.`
      : `**Not completed**: agent \`${r.agent_id}\` (T${r.tier}) stopped: ${r.error}.`,
    "",
    `Model: ${r.model}; task \`${r.task_id}\`.`,
    "",
  );
  if (r.model === "offline")
    out.push(
      "> The offline model wrote this content: a deterministic placeholder built from the objective's keywords, not the work of a real model. Set OPENROUTER_API_KEY or OPENAI_BASE_URL for real content.",
      "",
    );
  out.push("## Phases", "", r.phases.map((p) => p.phase).join(" → "), "");
  out.push("## Artifacts", "", "| name | kind |", "|---|---|");
  for (const a of r.artifacts) out.push(`| ${a.name} | ${a.kind} |`);
  out.push(
    "",
    "## Ledger rows",
    "",
    `${r.ledger.rows} rows for \`${r.agent_id}\`, oldest first:`,
    "",
  );
  for (const e of r.ledger.entries)
    out.push(`- ${e.at} ${e.decision.toUpperCase()} ${e.tool ?? "-"}: ${e.action}`);
  out.push("");
  return out.join("\n");
}
