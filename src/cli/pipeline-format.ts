// How `agov pipeline` shows things to people: one stderr line per stage transition, a pipeline's
// stages on validate, and a run's stages as a table.
import type { ProgressEvent } from "../../agents/progress.js";
import type { PipelineDef, PipelineEvent } from "../pipeline/index.js";
import type { RunSummaryView } from "../pipeline/summary.js";
import { formatDuration } from "../util/duration.js";
import { table } from "./token.js";

export function formatEvent(e: PipelineEvent): string | null {
  if (e.type === "stage")
    return `  ${e.stage.padEnd(12)} ${e.from} → ${e.to}${e.reason ? `  ${e.reason}` : ""}`;
  if (e.type === "run") return `  run ${e.status.toUpperCase()}${e.reason ? `: ${e.reason}` : ""}`;
  return null;
}

/** The stage agents' own lifecycle, indented under their stage. */
export function formatAgentEvent(runId: string, e: ProgressEvent): string | null {
  const who = (agent: string) => agent.replace(`${runId}-`, "");
  if (e.type === "phase") return `      ${who(e.agent).padEnd(14)} ${e.phase}`;
  if (e.type === "revoked") return `      ${who(e.agent).padEnd(14)} REVOKED: ${e.reason}`;
  if (e.type === "model_error")
    return `      ${who(e.agent).padEnd(14)} model ${e.kind}${e.recovered ? " (retrying)" : ""}`;
  return null;
}

export function describeDef(def: PipelineDef): string {
  const stages = def.stages.map((s) => {
    const when = s.when ? `, when ${s.when.text}` : "";
    if (s.kind === "human-gate")
      return `  ${s.name}: human gate, timeout ${formatDuration(s.timeout_ms)}${when}`;
    if (s.kind === "github") {
      const req = s.requires.length ? `, requires ${s.requires.join(", ")}` : "";
      return `  ${s.name}: GitHub ${s.action} on ${s.repo} at T${s.tier}${req}${when}`;
    }
    if (s.kind === "command") {
      const cmds = s.steps.map((c) => c.argv.join(" ")).join("; ");
      const req = s.requires.length ? `, requires ${s.requires.join(", ")}` : "";
      return `  ${s.name}: command at T${s.tier}: ${cmds}${req}${when}`;
    }
    const parts = [
      `${s.role} at T${s.tier}`,
      s.template ? `template ${s.template}` : "",
      s.artifacts.length ? `artifacts ${s.artifacts.join(", ")}` : "",
      s.requires.length ? `requires ${s.requires.join(", ")}` : "",
      s.retry.attempts > 1 ? `${s.retry.attempts} attempts` : "",
    ].filter(Boolean);
    return `  ${s.name}: ${parts.join(", ")}${when}`;
  });
  return [`${def.name}: ${def.stages.length} stages, valid (run order below)`, ...stages].join(
    "\n",
  );
}

export function formatRun(r: RunSummaryView): string {
  const head = `run ${r.run_id}  pipeline ${r.pipeline}  ${r.status.toUpperCase()}${r.reason ? `: ${r.reason}` : ""}`;
  const rows = r.stages.map((s) => [
    s.name,
    s.kind === "human-gate"
      ? "gate"
      : s.kind === "agent"
        ? `${s.role} T${s.tier}`
        : `${s.kind} T${s.tier}`,
    s.status,
    String(s.attempts),
    s.artifacts.join(", "),
    (s.reason ?? "").slice(0, 90),
  ]);
  return `${head}\n${table(["STAGE", "WHO", "STATUS", "TRIES", "ARTIFACTS", "LAST"], rows)}`;
}
