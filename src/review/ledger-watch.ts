// The bug watcher's eye on agov's own ledger: the same tool failing with the same error again and
// again, refused calls, and revoked agents become findings, with the ledger rows as evidence.
import type { ActionRow } from "../ledger/index.js";
import type { Observation } from "./parse.js";

export interface LedgerWatchOptions {
  /** How many failures of one tool with one error code make a finding. */
  minRepeats: number;
  /**
   * The tools the server has. A call to any other name is recorded with the name its caller sent;
   * the watcher calls them all "(unknown tool)", so no caller writes a finding's title or makes one
   * finding per name it invents.
   */
  tools: { has(name: string): boolean };
}

/** Most ledger findings one run makes: the worst of a flood, not the whole flood. */
export const LEDGER_FINDINGS_MAX = 100;
const UNKNOWN_TOOL = "(unknown tool)";
const RANK = { low: 0, medium: 1, high: 2 } as const;

/** Rows of these kinds are watched elsewhere (a command's output) or are not failures. */
const IGNORED = new Set(["command", "pipeline", "session", "token", "operator"]);

export function watchLedger(rows: readonly ActionRow[], opts: LedgerWatchOptions): Observation[] {
  const groups = new Map<string, { o: Observation; ids: string[] }>();
  const add = (key: string, row: ActionRow, make: () => Observation) => {
    const g = groups.get(key) ?? { o: make(), ids: [] };
    g.ids.push(String(row.id));
    groups.set(key, g);
  };
  for (const row of rows) {
    if (IGNORED.has(row.kind)) continue;
    const tool = row.tool === null ? row.kind : opts.tools.has(row.tool) ? row.tool : UNKNOWN_TOOL;
    if (row.kind === "revocation") {
      const why = row.error_reason ?? row.error_type ?? "revoked";
      add(`revocation\u0000${why}`, row, () =>
        ledgerObservation("high", "revocation", `agents revoked: ${why}`, why, why),
      );
    } else if (row.decision === "deny") {
      const why = row.error_reason ?? row.error_type ?? "DENIED";
      add(`deny\u0000${tool}\u0000${why}`, row, () =>
        ledgerObservation(
          "medium",
          tool,
          `calls to ${tool} refused: ${why}`,
          why,
          `refused: ${why}`,
        ),
      );
    } else if (row.success === 0 && row.error_type) {
      const code = row.error_type;
      add(`error\u0000${tool}\u0000${code}`, row, () =>
        ledgerObservation(
          "low",
          tool,
          `${tool} keeps failing with ${code}`,
          code,
          `failed: ${code}`,
        ),
      );
    }
  }
  const out: Observation[] = [];
  for (const [key, g] of groups) {
    const repeatedOnly = key.startsWith("error\u0000");
    if (repeatedOnly && g.ids.length < opts.minRepeats) continue;
    // Severity grows with the count: a tool failing ten times a day is more than a nuisance.
    const severity = repeatedOnly && g.ids.length >= opts.minRepeats * 3 ? "medium" : g.o.severity;
    out.push({ ...g.o, severity, count: g.ids.length, evidence: g.ids.slice(-50) });
  }
  return out
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.count - a.count)
    .slice(0, LEDGER_FINDINGS_MAX);
}

function ledgerObservation(
  severity: Observation["severity"],
  tool: string,
  title: string,
  rule: string,
  message: string,
): Observation {
  return {
    kind: "ledger",
    severity,
    tool,
    title,
    message,
    file: null,
    test: null,
    rule,
    count: 0,
    evidence: [],
  };
}
