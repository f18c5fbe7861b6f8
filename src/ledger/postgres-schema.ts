// Versioned migrations of the PostgreSQL ledger: the same rows and derived views as the embedded
// ledger (schema.ts), in PostgreSQL's dialect. Append new versions; never edit an applied one.

/** Advisory lock keys (two-int form, database-scoped): 'agov' and what the lock guards. */
export const LOCK_CLASS = 0x61676f76;
export const CHAIN_LOCK = 1;
export const MIGRATE_LOCK = 2;

export const PG_MIGRATIONS: readonly string[] = [
  // v1: chained rows, the tip, meta, and the derived tables as views over chained rows.
  `
  CREATE TABLE agent_actions (
    id BIGINT PRIMARY KEY,
    -- ISO-8601 text, compared bytewise: a locale collation may ignore the punctuation.
    timestamp TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent_version TEXT,
    tier INTEGER,
    action TEXT NOT NULL,
    decision TEXT NOT NULL,
    confidence DOUBLE PRECISION,
    success SMALLINT,
    error_type TEXT,
    error_reason TEXT,
    error_message TEXT,
    tool TEXT,
    session_id TEXT,
    args_digest TEXT,
    latency_us BIGINT,
    -- The canonical JSON text the chain hashed, kept as text: jsonb would re-serialize it.
    detail TEXT,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX agent_actions_agent ON agent_actions(agent_id, id);
  CREATE INDEX agent_actions_tool ON agent_actions(tool, id);
  CREATE INDEX agent_actions_kind ON agent_actions(kind, id);
  CREATE INDEX agent_actions_kind_agent ON agent_actions(kind, agent_id, id);
  CREATE INDEX agent_actions_time ON agent_actions(timestamp);
  CREATE INDEX agent_actions_decision ON agent_actions(decision, id);
  CREATE INDEX agent_actions_session ON agent_actions(session_id, id);
  CREATE INDEX agent_actions_error ON agent_actions(error_type, id);
  CREATE TABLE ledger_tip (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    last_id BIGINT NOT NULL,
    entry_hash TEXT NOT NULL
  );
  CREATE VIEW revocations AS
    SELECT id, timestamp, agent_id, detail::jsonb->>'task_id' AS task_id,
      detail::jsonb->>'reason_type' AS reason_type, detail::jsonb->>'details' AS details,
      detail::jsonb->>'revoked_by' AS revoked_by
    FROM agent_actions WHERE kind = 'revocation';
  CREATE VIEW violations AS
    SELECT id, timestamp, agent_id, detail::jsonb->>'task_id' AS task_id,
      detail::jsonb->>'reason_type' AS violation_type, detail::jsonb->>'severity' AS severity,
      detail::jsonb->>'details' AS description, tool
    FROM agent_actions WHERE kind = 'revocation';
  CREATE VIEW promotions AS
    SELECT id, timestamp, agent_id, (detail::jsonb->>'from_tier')::int AS from_tier,
      (detail::jsonb->>'to_tier')::int AS to_tier, detail::jsonb->>'decision' AS decision,
      detail::jsonb->>'reason' AS reason, detail::jsonb->>'approved_by' AS approved_by
    FROM agent_actions WHERE kind = 'promotion';
  CREATE VIEW agent_metrics AS
    SELECT r.agent_id AS agent_id,
      (SELECT t.tier FROM agent_actions t
        WHERE t.agent_id = r.agent_id AND t.kind IN ('run', 'tier', 'token') AND t.tier IS NOT NULL
        ORDER BY t.id DESC LIMIT 1) AS current_tier,
      (COUNT(*) FILTER (WHERE r.kind = 'run'))::int AS total_runs,
      (COUNT(*) FILTER (WHERE r.kind = 'run' AND r.detail::jsonb->>'compliant' = 'true'))::int
        AS compliant_runs,
      (SELECT COUNT(*) FROM agent_actions c
        WHERE c.kind = 'run' AND c.agent_id = r.agent_id AND c.id > COALESCE(
          (SELECT MAX(n.id) FROM agent_actions n
            WHERE n.kind = 'run' AND n.agent_id = r.agent_id
              AND n.detail::jsonb->>'compliant' = 'false'), 0))::int
        AS consecutive_compliant,
      MAX(CASE WHEN r.kind = 'run' THEN r.timestamp END) AS last_active_at
    FROM agent_actions r WHERE r.kind IN ('run', 'tier', 'token') GROUP BY r.agent_id;
  `,
  // v2: the task a row names (audit query --task), newest first within it.
  `
  CREATE INDEX agent_actions_task ON agent_actions ((detail::jsonb->>'task_id'), id);
  `,
];

/** Created before the migrations run: it records the schema version. */
export const META_TABLE =
  "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";
