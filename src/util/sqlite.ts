// Opening SQLite files shared by several processes (WAL, busy timeout) and applying versioned migrations.
import Database from "better-sqlite3";
import { privateFile } from "./files.js";

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  // SQLite gives its -wal and -shm files the database file's own permissions.
  if (file !== ":memory:") privateFile(file);
  const db = new Database(file);
  db.pragma("busy_timeout = 10000");
  // Switching a new file to WAL takes an exclusive lock without waiting on busy_timeout, so two
  // processes opening a fresh AGOV_HOME at once can see SQLITE_BUSY here: retry for a while.
  retryBusy(() => db.pragma("journal_mode = WAL"));
  db.pragma("synchronous = NORMAL");
  return db;
}

function retryBusy<T>(fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED") || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Applies every migration newer than the file's user_version, each in its own write transaction. */
export function migrate(db: Db, migrations: readonly string[]): void {
  const current = retryBusy(() => db.pragma("user_version", { simple: true }) as number);
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this agov understands (${migrations.length}); upgrade agov`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const now = db.pragma("user_version", { simple: true }) as number;
      if (now > v) return;
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
