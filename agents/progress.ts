// What a run reports while it works: the orchestrator turns these into the live view on stderr
// and into the run's metrics.
export type ProgressEvent =
  | { type: "phase"; agent: string; role: string; phase: string }
  | { type: "message"; from: string; to: string; msgType: string; summary: string }
  | { type: "proposal"; agent: string; id: string; title: string }
  | { type: "vote"; agent: string; vote: string; title: string; status?: string }
  | { type: "spawn"; role: string; reason: string; detail: string }
  | { type: "consensus"; status: string; title: string; reason: string }
  | { type: "revoked"; agent: string; reason: string }
  | { type: "model_error"; agent: string; kind: string; recovered: boolean }
  | { type: "note"; agent?: string; text: string };

/** One compact line per event, for people watching a run. */
export function formatProgress(e: ProgressEvent): string | null {
  switch (e.type) {
    case "phase":
      return `  ${e.role.padEnd(6)} ${e.phase}`;
    case "message":
      return `  ${e.from} → ${e.to}  ${e.msgType}${e.summary ? ` "${e.summary}"` : ""}`;
    case "proposal":
      return `  ${e.agent} proposes "${e.title}"`;
    case "vote":
      return `  ${e.agent} votes ${e.vote} on "${e.title}"${e.status && e.status !== "pending" ? ` → ${e.status}` : ""}`;
    case "spawn":
      return `  spawn ${e.role} (${e.reason}: ${e.detail.length > 90 ? `${e.detail.slice(0, 87)}…` : e.detail})`;
    case "consensus":
      return `  consensus ${e.status.toUpperCase()} "${e.title}" (${e.reason})`;
    case "revoked":
      return `  ${e.agent} REVOKED: ${e.reason}`;
    case "model_error":
      return `  ${e.agent} model ${e.kind}${e.recovered ? " (retrying)" : " (reported)"}`;
    case "note":
      return `  ${e.agent ? `${e.agent}: ` : ""}${e.text}`;
  }
}
