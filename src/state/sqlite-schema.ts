// Versioned schema of the embedded state store ($AGOV_HOME/state.db).
export const STATE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE locks (resource TEXT PRIMARY KEY, holder TEXT, lease_id TEXT, fence INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX locks_holder ON locks(holder);
  CREATE TABLE blackboard (
    task_id TEXT NOT NULL, section TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    version INTEGER NOT NULL, author TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, section, key)
  );
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, from_agent TEXT NOT NULL,
    to_agent TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, sent_at INTEGER NOT NULL
  );
  CREATE INDEX messages_task ON messages(task_id, seq);
  CREATE TABLE heartbeats (agent_id TEXT PRIMARY KEY, at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE agent_state (agent_id TEXT PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE packets (agent_id TEXT PRIMARY KEY, packet TEXT NOT NULL);
  CREATE TABLE error_counters (agent_id TEXT PRIMARY KEY, counters TEXT NOT NULL);
  CREATE TABLE task_active (task_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL);
  CREATE TABLE artifacts (seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, artifact TEXT NOT NULL);
  CREATE INDEX artifacts_task ON artifacts(task_id, seq);
  CREATE TABLE handoffs (task_id TEXT PRIMARY KEY, handoff TEXT NOT NULL);
  CREATE TABLE revocations (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
  CREATE TABLE checkpoints (scope TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, saved_at INTEGER NOT NULL, PRIMARY KEY (scope, key));
  CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, at INTEGER NOT NULL);
  `,
  `
  CREATE TABLE agent_notes (seq INTEGER PRIMARY KEY AUTOINCREMENT, agent_id TEXT NOT NULL, note TEXT NOT NULL);
  CREATE INDEX agent_notes_agent ON agent_notes(agent_id, seq);
  `,
  `
  CREATE TABLE idempotency (agent_id TEXT NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (agent_id, key));
  CREATE INDEX idempotency_expiry ON idempotency(expires_at);
  `,
  // Pruning old events and listing a scope's documents newest first stay indexed as data grows.
  `
  CREATE INDEX events_at ON events(at);
  CREATE INDEX checkpoints_saved ON checkpoints(scope, saved_at);
  `,
];
