// Ledgers written before the chain covered revocations, violations, promotions and metrics kept
// them in plain tables. On first open their rows are carried into the chain as events of the
// matching kind (so the views derived from the chain show them), and the old tables are dropped.
import type { Db } from "../util/sqlite.js";
import type { ActionOutcome, LedgerEvent, RevocationReason, Severity } from "./index.js";

type Append = (event: LedgerEvent, outcome: ActionOutcome, timestamp: string) => void;
type Row = Record<string, unknown>;

const ok: ActionOutcome = { success: true };
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function importLegacy(db: Db, append: Append): void {
  const exists = (t: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !==
    undefined;
  if (!exists("legacy_revocations")) return;
  db.transaction(() => {
    if (!exists("legacy_revocations")) return; // another process imported them meanwhile
    const all = (t: string) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all() as Row[];
    const violations = all("legacy_violations");
    for (const r of all("legacy_revocations")) {
      const v = violations.find(
        (x) => x.agent_id === r.agent_id && x.violation_type === r.reason_type,
      );
      append(
        {
          kind: "revocation",
          agent_id: String(r.agent_id),
          action: `revoked: ${r.reason_type} (imported)`,
          decision: "deny",
          tool: str(v?.tool),
          detail: {
            task_id: str(r.task_id),
            reason_type: r.reason_type as RevocationReason,
            details: String(r.details),
            revoked_by: String(r.revoked_by),
            severity: ((v?.severity as Severity | undefined) ?? "high") as Severity,
          },
        },
        ok,
        String(r.timestamp),
      );
    }
    for (const p of all("legacy_promotions")) {
      append(
        {
          kind: "promotion",
          agent_id: String(p.agent_id),
          tier: Number(p.from_tier),
          action: `promotion ${p.decision} (imported)`,
          decision: "allow",
          detail: {
            from_tier: Number(p.from_tier),
            to_tier: Number(p.to_tier),
            decision: p.decision as "granted" | "refused" | "pending",
            reason: String(p.reason),
            approved_by: str(p.approved_by),
          },
        },
        ok,
        String(p.timestamp),
      );
    }
    for (const m of all("legacy_agent_metrics")) {
      // Runs in an order that reproduces the counters: the older compliant runs, the failed ones,
      // then the current streak.
      const total = Number(m.total_runs);
      const compliant = Number(m.compliant_runs);
      const streak = Math.min(Number(m.consecutive_compliant), compliant);
      const runs = [
        ...Array<boolean>(compliant - streak).fill(true),
        ...Array<boolean>(Math.max(0, total - compliant)).fill(false),
        ...Array<boolean>(streak).fill(true),
      ];
      const at = str(m.last_active_at) ?? new Date(0).toISOString();
      const tier = m.current_tier === null ? null : Number(m.current_tier);
      for (const c of runs)
        append(
          {
            kind: "run",
            agent_id: String(m.agent_id),
            tier,
            action: "run recorded (imported)",
            decision: "allow",
            detail: { compliant: c },
          },
          ok,
          at,
        );
      if (runs.length === 0 && tier !== null)
        append(
          {
            kind: "tier",
            agent_id: String(m.agent_id),
            tier,
            action: `tier T${tier} (imported)`,
            decision: "allow",
            detail: { tier, by: "import" },
          },
          ok,
          at,
        );
    }
    db.exec(
      "DROP TABLE legacy_revocations; DROP TABLE legacy_violations; DROP TABLE legacy_promotions; DROP TABLE legacy_agent_metrics;",
    );
  }).immediate();
}
