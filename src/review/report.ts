// The architecture review's report: what was checked, every finding with what changed since the
// last run, each suggestion with the council's votes and dissent, and any gate waiting for a
// person. One JSON document; the Markdown is rendered from it.
import type { Finding } from "../state/index.js";
import type { Suggestion } from "./advice.js";
import type { Change } from "./findings.js";

export interface ReviewReport {
  target: string;
  run_id: string;
  pipeline: string;
  status: string;
  at: string;
  model: string;
  checks: Array<{ source: string; checked: boolean; format: string | null; note: string }>;
  stages: Array<{ stage: string; status: string; reason: string | null }>;
  summary: {
    open: number;
    new: number;
    worsened: number;
    reopened: number;
    unchanged: number;
    resolved: number;
    reviewed: number;
    accepted: number;
    rejected: number;
    waiting_gate: number;
  };
  findings: Array<Finding & { change: Change }>;
  reviews: Array<{
    proposal_id: string;
    suggestion: Suggestion;
    status: string;
    reason: string;
    gate: boolean;
    votes: Array<{ agent: string; lens: string; vote: string; reasoning: string }>;
    dissent: string[];
  }>;
  /** Set when the run stopped at the signoff gate: how a person decides it. */
  gate: { stage: string; approve: string; reject: string } | null;
  /** Suggestions left for the next run (the per-run limit). */
  deferred: number;
  /** Where the report was written. */
  files: { markdown: string; json: string } | null;
  /** The issue or pull request comment it was posted as (--github). */
  comment: { url: string } | null;
}

const ORDER: Record<Change, number> = {
  new: 0,
  reopened: 1,
  worsened: 2,
  unchanged: 3,
  resolved: 4,
};
const SEV = { high: 0, medium: 1, low: 2 } as const;

export function sortFindings<T extends Finding & { change: Change }>(list: T[]): T[] {
  return [...list].sort(
    (a, b) =>
      ORDER[a.change] - ORDER[b.change] ||
      SEV[a.severity] - SEV[b.severity] ||
      a.title.localeCompare(b.title),
  );
}

/**
 * What the reviewed repository (test names, messages) or a model wrote, as text in Markdown: no
 * link, image, HTML, emphasis or code span of its own, and no @mention (the report may be posted
 * as a GitHub comment, where a mention notifies people and an image is fetched by every reader).
 */
export function text(s: string): string {
  return s
    .replace(/\s+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~]/g, "\\$&")
    .replace(/@(?=\w)/g, "@\u200b");
}
const cell = (s: string) => text(s.length > 160 ? s.slice(0, 160) : s);
/** A value shown as code: any backticks in it cannot close the span. */
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/\s+/g, " ")}\``;
const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

function headline(r: ReviewReport): string {
  const s = r.summary;
  if (r.findings.length === 0)
    return "**No findings:** every check that was read passed, and the ledger shows nothing repeated.";
  if (s.reviewed > 0)
    return `**${s.reviewed} finding(s) reviewed** (${s.new} new, ${s.worsened} worsened, ${s.reopened} reopened); ${s.open} open, ${s.resolved} resolved in this run; council: ${s.accepted} accepted, ${s.rejected} rejected, ${s.waiting_gate} waiting for a person.`;
  if (s.resolved > 0)
    return `**No new or worsening finding: none was re-reviewed.** ${s.resolved} resolved in this run; ${s.open} still open.`;
  return `**Nothing new or changed since the last review: no finding was re-reviewed.** ${s.open} finding(s) open.`;
}

export function renderMarkdown(r: ReviewReport): string {
  const lines = [
    `# Architecture review of ${r.target}`,
    "",
    `Run \`${r.run_id}\` (pipeline ${r.pipeline}) ${r.status} at ${r.at}; suggestions and votes by the ${r.model} model.`,
    "",
    headline(r),
    "",
    "## Checks",
    "",
    "| source | read | format | result |",
    "|---|---|---|---|",
    ...r.checks.map(
      (c) =>
        `| ${code(c.source.slice(0, 160))} | ${c.checked ? "yes" : "no"} | ${c.format ?? "—"} | ${cell(c.note)} |`,
    ),
    "",
    "## Findings",
    "",
  ];
  if (r.findings.length === 0) lines.push("None.", "");
  else {
    lines.push(
      "| change | severity | finding | where | fingerprint | first seen | last seen | runs |",
      "|---|---|---|---|---|---|---|---|",
    );
    for (const f of r.findings) {
      const where = [f.file, f.test && `test ${f.test}`, f.rule && `rule ${f.rule}`]
        .filter(Boolean)
        .join(", ");
      lines.push(
        `| ${f.change} | ${f.severity} | ${cell(f.title)} | ${cell(where || f.source)} | \`${f.fingerprint}\` | ${when(f.first_seen)} | ${when(f.last_seen)} | ${f.occurrences} |`,
      );
    }
    lines.push("");
  }
  lines.push("## Suggestions and council votes", "");
  if (r.reviews.length === 0) lines.push("None this run.", "");
  for (const v of r.reviews) {
    const g = v.suggestion;
    lines.push(
      `### ${text(g.title)}`,
      "",
      `- **Finding:** \`${g.fingerprint}\` (${g.evidence.change}) from ${code(g.evidence.source)}: ${text(g.evidence.message)}`,
      `- **What:** ${text(g.what)}`,
      `- **Why:** ${text(g.why)}`,
      `- **Risk:** ${g.risk} (${g.kind})`,
      ...(g.evidence.ledger_rows.length > 0
        ? [`- **Ledger rows:** ${g.evidence.ledger_rows.slice(-10).join(", ")}`]
        : []),
      `- **Note:** ${text(g.note)}`,
      `- **Council:** ${v.status} — ${text(v.reason)}${v.gate ? " — **waits for a person's approval (risk at or above the threshold)**" : ""}`,
      ...v.votes.map((b) => `  - ${b.agent} (${b.lens}): ${b.vote} — ${text(b.reasoning)}`),
      `- **Dissent:** ${v.dissent.length > 0 ? v.dissent.join(", ") : "none"}`,
      "",
    );
  }
  if (r.deferred > 0)
    lines.push(`${r.deferred} more finding(s) wait for the next run (per-run limit).`, "");
  if (r.gate)
    lines.push(
      "## Waiting for a person",
      "",
      `Approve: \`${r.gate.approve}\``,
      "",
      `Reject: \`${r.gate.reject}\``,
      "",
    );
  lines.push(
    "## Stages",
    "",
    ...r.stages.map(
      (st) => `- ${st.stage}: ${st.status}${st.reason ? ` — ${text(st.reason)}` : ""}`,
    ),
    "",
  );
  return lines.join("\n");
}
