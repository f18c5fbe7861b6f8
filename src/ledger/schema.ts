// Versioned migrations of the ledger database. Append new versions; never edit an applied one.

export const MIGRATIONS: readonly string[] = [
  // v1: the seed's tables, with the audit columns and the hash chain on agent_actions.
  `
  CREATE TABLE agent_actions (
    id INTEGER PRIMARY KEY,
    timestamp TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent_version TEXT,
    tier INTEGER,
    action TEXT NOT NULL,
    decision TEXT NOT NULL,
    confidence REAL,
    success INTEGER,
    error_type TEXT,
    error_message TEXT,
    tool TEXT,
    session_id TEXT,
    args_digest TEXT,
    latency_us INTEGER,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX agent_actions_agent ON agent_actions(agent_id, id);
  CREATE INDEX agent_actions_tool ON agent_actions(tool, id);
  CREATE TABLE ledger_tip (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    entry_hash TEXT NOT NULL
  );
  CREATE TABLE agent_metrics (
    agent_id TEXT PRIMARY KEY,
    current_tier INTEGER,
    total_runs INTEGER NOT NULL DEFAULT 0,
    compliant_runs INTEGER NOT NULL DEFAULT 0,
    consecutive_compliant INTEGER NOT NULL DEFAULT 0,
    last_active_at TEXT
  );
  CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    timestamp TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    task_id TEXT,
    violation_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    description TEXT NOT NULL,
    tool TEXT
  );
  CREATE TABLE promotions (
    id INTEGER PRIMARY KEY,
    timestamp TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    from_tier INTEGER NOT NULL,
    to_tier INTEGER NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    approved_by TEXT
  );
  CREATE TABLE revocations (
    id INTEGER PRIMARY KEY,
    timestamp TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    task_id TEXT,
    reason_type TEXT NOT NULL,
    details TEXT NOT NULL,
    revoked_by TEXT NOT NULL
  );
  `,
  // v2: one recorder with event kinds; a keyed chain (entry hashes now also cover kind and
  // detail); revocations, violations, promotions and agent metrics become views over chained rows.
  // The old tables are kept aside as legacy_* until their rows are imported into the chain.
  `
  ALTER TABLE agent_actions ADD COLUMN kind TEXT NOT NULL DEFAULT 'legacy';
  ALTER TABLE agent_actions ADD COLUMN detail TEXT;
  UPDATE agent_actions SET kind = 'tool_call' WHERE action = 'tools/call';
  CREATE INDEX agent_actions_kind ON agent_actions(kind, agent_id, id);
  CREATE INDEX agent_actions_time ON agent_actions(timestamp);
  CREATE INDEX agent_actions_decision ON agent_actions(decision, id);
  CREATE INDEX agent_actions_session ON agent_actions(session_id, id);
  CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  ALTER TABLE agent_metrics RENAME TO legacy_agent_metrics;
  ALTER TABLE violations RENAME TO legacy_violations;
  ALTER TABLE promotions RENAME TO legacy_promotions;
  ALTER TABLE revocations RENAME TO legacy_revocations;
  CREATE VIEW revocations AS
    SELECT id, timestamp, agent_id, detail->>'task_id' AS task_id,
      detail->>'reason_type' AS reason_type, detail->>'details' AS details,
      detail->>'revoked_by' AS revoked_by
    FROM agent_actions WHERE kind = 'revocation';
  CREATE VIEW violations AS
    SELECT id, timestamp, agent_id, detail->>'task_id' AS task_id,
      detail->>'reason_type' AS violation_type, detail->>'severity' AS severity,
      detail->>'details' AS description, tool
    FROM agent_actions WHERE kind = 'revocation';
  CREATE VIEW promotions AS
    SELECT id, timestamp, agent_id, detail->>'from_tier' AS from_tier,
      detail->>'to_tier' AS to_tier, detail->>'decision' AS decision,
      detail->>'reason' AS reason, detail->>'approved_by' AS approved_by
    FROM agent_actions WHERE kind = 'promotion';
  CREATE VIEW agent_metrics AS
    SELECT r.agent_id AS agent_id,
      (SELECT t.tier FROM agent_actions t
        WHERE t.agent_id = r.agent_id AND t.kind IN ('run', 'tier', 'token') AND t.tier IS NOT NULL
        ORDER BY t.id DESC LIMIT 1) AS current_tier,
      SUM(r.kind = 'run') AS total_runs,
      SUM(r.kind = 'run' AND r.detail->>'compliant' = 1) AS compliant_runs,
      (SELECT COUNT(*) FROM agent_actions c
        WHERE c.kind = 'run' AND c.agent_id = r.agent_id AND c.id > COALESCE(
          (SELECT MAX(n.id) FROM agent_actions n
            WHERE n.kind = 'run' AND n.agent_id = r.agent_id AND n.detail->>'compliant' = 0), 0))
        AS consecutive_compliant,
      MAX(CASE WHEN r.kind = 'run' THEN r.timestamp END) AS last_active_at
    FROM agent_actions r WHERE r.kind IN ('run', 'tier', 'token') GROUP BY r.agent_id;
  `,
  // v3: the rule that answered a call (one of REASONS in src/util/errors.ts), beside its code.
  `
  ALTER TABLE agent_actions ADD COLUMN error_reason TEXT;
  CREATE INDEX agent_actions_error ON agent_actions(error_type, id);
  `,
  // v4: kind in id order, so `audit query --kind tool_call` walks the index newest first and stops
  // at its limit instead of sorting every row of the kind (the index above serves the views).
  `
  CREATE INDEX agent_actions_kind_id ON agent_actions(kind, id);
  `,
  // v5: the task a row names (audit query --task), newest first within it. Guarded by json_valid:
  // an index that fails on text that is not JSON would refuse to store (or tamper with) such a row
  // instead of leaving it for verify to name.
  `
  CREATE INDEX agent_actions_task ON agent_actions(
    (CASE WHEN json_valid(detail) THEN detail->>'task_id' END), id);
  `,
];
