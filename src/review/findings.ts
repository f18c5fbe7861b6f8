// Findings across runs: each observation gets a stable fingerprint (the same failure is the same
// finding however often it recurs), and a run's observations are reconciled with what the store
// already holds into new, worsened, unchanged, reopened and resolved findings.
import { createHash } from "node:crypto";
import type { Finding } from "../state/index.js";
import type { Observation, Severity } from "./parse.js";

export type Change = "new" | "worsened" | "reopened" | "unchanged" | "resolved";

/** What one source (a command, or the ledger) said in a run. */
export interface SourceCheck {
  source: string;
  /** False when the source could not be read this run (did not start, timed out). */
  checked: boolean;
  /**
   * True when the source's whole report was read (a known format, at least one check in it), so a
   * finding it no longer reports is gone. A command that ran but said nothing readable (it
   * crashed, or its reporter is missing) only says whether the command itself still fails.
   */
  complete: boolean;
  observations: Observation[];
}

export interface Reconciled {
  finding: Finding;
  change: Change;
}

/** A failure message without what differs between runs of the same failure. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/\b\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\b/g, "<time>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<addr>")
    .replace(/(?:file:\/\/)?(?:\/[\w.@+-]+)+\/([\w.@+-]+)/g, "$1")
    .replace(/:\d+(?::\d+)?\b/g, "")
    .replace(/\b(?:line|column|col)\s+\d+\b/gi, "")
    .replace(/\b\d+(?:\.\d+)?\s?m?s\b/g, "<duration>")
    .replace(/\s+/g, " ")
    .trim();
}

/** Kind, place (file, test, rule; the command for output agov could not read) and message. */
export function fingerprint(o: Observation, source: string): string {
  const place = o.kind === "command" || o.kind === "ledger" ? [source, o.tool] : [];
  const parts = [
    o.kind,
    ...place,
    o.file ?? "",
    o.test ?? "",
    o.rule ?? "",
    normalizeMessage(o.message),
  ];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 16);
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };
const EVIDENCE_MAX = 50;

/** Matches a run's observations with the stored findings of the target. */
export function reconcile(
  stored: readonly Finding[],
  checks: readonly SourceCheck[],
  run: { scope: string; run_id: string; now: number },
): Reconciled[] {
  const before = new Map(stored.map((f) => [f.fingerprint, f]));
  const out = new Map<string, Reconciled>();
  for (const check of checks) {
    if (!check.checked) continue;
    for (const o of check.observations) {
      const fp = fingerprint(o, check.source);
      const same = out.get(fp);
      if (same) {
        // The same failure twice in one run (a rule hit in two places of a file): counted once more.
        same.finding.count += o.count;
        continue;
      }
      const prev = before.get(fp);
      const seen: Finding = {
        scope: run.scope,
        fingerprint: fp,
        kind: o.kind,
        severity: o.severity,
        source: check.source,
        tool: o.tool,
        title: o.title.slice(0, 300),
        message: o.message.slice(0, 2000),
        file: o.file,
        test: o.test,
        rule: o.rule,
        status: "open",
        first_seen: prev?.first_seen ?? run.now,
        last_seen: run.now,
        occurrences: (prev?.occurrences ?? 0) + 1,
        count: o.count,
        evidence: [...new Set([...(prev?.evidence ?? []), ...o.evidence])].slice(-EVIDENCE_MAX),
        resolved_at: null,
        run_id: run.run_id,
      };
      const change: Change = !prev
        ? "new"
        : prev.status === "resolved"
          ? "reopened"
          : o.count > prev.count || RANK[o.severity] > RANK[prev.severity]
            ? "worsened"
            : "unchanged";
      out.set(fp, { finding: seen, change });
    }
  }
  const checked = new Map(checks.filter((c) => c.checked).map((c) => [c.source, c.complete]));
  for (const prev of stored) {
    if (out.has(prev.fingerprint) || prev.status === "resolved") continue;
    // Only a source whose report was read this run can say a finding is gone; one that ran with
    // nothing readable can only say its own failure to run is.
    const complete = checked.get(prev.source);
    if (complete === undefined || (!complete && prev.kind !== "command")) {
      out.set(prev.fingerprint, { finding: prev, change: "unchanged" });
      continue;
    }
    out.set(prev.fingerprint, {
      finding: { ...prev, status: "resolved", resolved_at: run.now, run_id: run.run_id },
      change: "resolved",
    });
  }
  return [...out.values()];
}

/** New, worsened and reopened findings: the ones a run reviews again. */
export const needsReview = (r: Reconciled) =>
  r.change === "new" || r.change === "worsened" || r.change === "reopened";
