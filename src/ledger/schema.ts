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
];
