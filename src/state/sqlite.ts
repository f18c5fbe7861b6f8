// The embedded StateStore on one SQLite file ($AGOV_HOME/state.db), shared safely by every agov
// process on the machine: read-then-write steps run in BEGIN IMMEDIATE transactions, and events
// are rows other processes notice by polling (a cheap indexed read, every 100 ms).
import { join } from "node:path";
import type { Statement } from "better-sqlite3";
import type { Clock, Ids } from "../util/clock.js";
import { dict } from "../util/dict.js";
import { AgovError } from "../util/errors.js";
import { migrate, openDatabase } from "../util/sqlite.js";
import type {
  AgovEvent,
  BlackboardEntry,
  BlackboardSection,
  ErrorCounters,
  IdempotencyRecord,
  LockLease,
  Message,
  RevocationRecord,
  StateStore,
} from "./index.js";
import { type Documents, domainRecords } from "./records.js";
import { STATE_MIGRATIONS } from "./sqlite-schema.js";

const POLL_MS = 100;
const EVENT_RETENTION_MS = 3_600_000;
const PRUNE_EVERY_MS = 1000;
const json = (v: unknown) => JSON.stringify(v ?? null);
const parse = <T>(s: string | undefined): T | null =>
  s === undefined ? null : (JSON.parse(s) as T);

interface LockRow {
  resource: string;
  holder: string | null;
  lease_id: string | null;
  fence: number;
  expires_at: number;
}

export function createSqliteState(opts: {
  home?: string;
  file?: string;
  clock: Clock;
  ids: Ids;
}): StateStore {
  const db = openDatabase(opts.file ?? join(opts.home ?? ".", "state.db"));
  migrate(db, STATE_MIGRATIONS);
  const { clock, ids } = opts;
  // Statements are prepared once and reused: preparing costs more than most of these queries.
  const prepared = new Map<string, Statement<unknown[]>>();
  const q = <T>(sql: string) => {
    let st = prepared.get(sql);
    if (!st) {
      st = db.prepare<unknown[]>(sql);
      prepared.set(sql, st);
    }
    const stmt = st;
    return {
      get: (...a: unknown[]) => stmt.get(...a) as T | undefined,
      all: (...a: unknown[]) => stmt.all(...a) as T[],
      run: (...a: unknown[]) => stmt.run(...a),
    };
  };
  const lockRow = q<LockRow>("SELECT * FROM locks WHERE resource = ?");
  const live = (r: LockRow | undefined): r is LockRow & { holder: string; lease_id: string } =>
    !!r && r.holder !== null && r.expires_at > clock.now();
  const lease = (r: LockRow): LockLease => ({
    resource: r.resource,
    holder: r.holder!,
    lease_id: r.lease_id!,
    fence: r.fence,
    expires_at: r.expires_at,
  });
  const tx = <A extends unknown[], R>(fn: (...a: A) => R) => {
    const t = db.transaction(fn);
    return (...a: A): R => t.immediate(...a);
  };

  const acquire = tx((resource: string, holder: string, ttlMs: number, leaseId?: string) => {
    const row = lockRow.get(resource);
    if (live(row))
      return { acquired: false as const, resource, holder: row.holder, expires_at: row.expires_at };
    const next: LockRow = {
      resource,
      holder,
      lease_id: leaseId ?? ids.next(),
      fence: (row?.fence ?? 0) + 1,
      expires_at: clock.now() + ttlMs,
    };
    q(
      "INSERT INTO locks VALUES (@resource, @holder, @lease_id, @fence, @expires_at) ON CONFLICT(resource) DO UPDATE SET holder=@holder, lease_id=@lease_id, fence=@fence, expires_at=@expires_at",
    ).run(next);
    return { acquired: true as const, ...lease(next) };
  });
  const currentLease = (resource: string, leaseId: string) => {
    const row = lockRow.get(resource);
    if (!live(row) || row.lease_id !== leaseId) {
      throw new AgovError(
        "CONFLICT",
        `lease ${leaseId} on "${resource}" is not the current holder's (expired, released or taken)`,
      );
    }
    return row;
  };
  const refresh = tx((resource: string, leaseId: string, ttlMs: number) => {
    const row = { ...currentLease(resource, leaseId), expires_at: clock.now() + ttlMs };
    q("UPDATE locks SET expires_at = ? WHERE resource = ?").run(row.expires_at, resource);
    return lease(row);
  });
  const release = tx((resource: string, leaseId: string) => {
    currentLease(resource, leaseId);
    q("UPDATE locks SET holder = NULL, lease_id = NULL WHERE resource = ?").run(resource);
  });
  const releaseAll = tx((holder: string) => {
    const rows = q<LockRow>("SELECT * FROM locks WHERE holder = ?").all(holder).filter(live);
    q("UPDATE locks SET holder = NULL, lease_id = NULL WHERE holder = ?").run(holder);
    return rows.map((r) => r.resource);
  });

  const post = tx((e: Parameters<StateStore["blackboard"]["post"]>[0]): BlackboardEntry => {
    const cur = q<{ version: number }>(
      "SELECT version FROM blackboard WHERE task_id = ? AND section = ? AND key = ?",
    ).get(e.task_id, e.section, e.key);
    const current = cur?.version ?? 0;
    if (current !== e.expected_version) {
      throw new AgovError(
        "CONFLICT",
        `blackboard ${e.section}/${e.key} is at version ${current}, not ${e.expected_version}: read it, merge, and post with expected_version ${current}`,
        { current_version: current },
      );
    }
    const entry: BlackboardEntry = {
      task_id: e.task_id,
      section: e.section,
      key: e.key,
      value: e.value,
      version: current + 1,
      author: e.author,
      updated_at: clock.now(),
    };
    q(
      "INSERT INTO blackboard VALUES (@task_id, @section, @key, @value, @version, @author, @updated_at) ON CONFLICT(task_id, section, key) DO UPDATE SET value=@value, version=@version, author=@author, updated_at=@updated_at",
    ).run({ ...entry, value: json(entry.value) });
    return entry;
  });

  const addNote = tx((agentId: string, text: string, keep: number) => {
    q("INSERT INTO agent_notes (agent_id, note) VALUES (?, ?)").run(agentId, text);
    q(
      "DELETE FROM agent_notes WHERE agent_id = ? AND seq NOT IN (SELECT seq FROM agent_notes WHERE agent_id = ? ORDER BY seq DESC LIMIT ?)",
    ).run(agentId, agentId, keep);
  });

  const readCounters = (agentId: string) =>
    counters(
      q<{ counters: string }>("SELECT counters FROM error_counters WHERE agent_id = ?").get(agentId)
        ?.counters,
    );
  const claimKey = tx((agentId: string, key: string, record: IdempotencyRecord, ttlMs: number) => {
    const now = clock.now();
    const row = q<{ record: string; expires_at: number }>(
      "SELECT record, expires_at FROM idempotency WHERE agent_id = ? AND key = ?",
    ).get(agentId, key);
    if (row && row.expires_at > now)
      return { first: false as const, record: JSON.parse(row.record) as IdempotencyRecord };
    q(
      "INSERT INTO idempotency VALUES (?, ?, ?, ?) ON CONFLICT(agent_id, key) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
    ).run(agentId, key, json(record), now + ttlMs);
    // Expired keys go a few at a time, so the table stays the size of the keys in use.
    q(
      "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE expires_at <= ? LIMIT 16)",
    ).run(now);
    return { first: true as const };
  });

  const recordError = tx((agentId: string, errorType: string, procedure: boolean) => {
    const c = readCounters(agentId);
    c.total_errors += 1;
    if (procedure) c.procedure_violations += 1;
    c.by_type[errorType] = (c.by_type[errorType] ?? 0) + 1;
    q(
      "INSERT INTO error_counters VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET counters = excluded.counters",
    ).run(agentId, json(c));
    return c;
  });

  // Events: rows in `events`; every subscriber's process polls for rows after the last it saw.
  const handlers = new Set<(e: AgovEvent) => void>();
  let lastEventId = 0;
  let prunedAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const poll = () => {
    if (!db.open) return;
    const rows = q<{ id: number; event: string }>(
      "SELECT id, event FROM events WHERE id > ? ORDER BY id",
    ).all(lastEventId);
    for (const row of rows) {
      lastEventId = row.id;
      const event = JSON.parse(row.event) as AgovEvent;
      for (const h of handlers) h(event);
    }
  };

  let pendingEvents: Array<{
    event: string;
    at: number;
    resolve: () => void;
    reject: (e: unknown) => void;
  }> = [];
  const writeEvents = tx((batch: typeof pendingEvents) => {
    for (const e of batch) q("INSERT INTO events (event, at) VALUES (?, ?)").run(e.event, e.at);
    // Old events are pruned at most once a second of clock time, through the index on `at`:
    // a post's cost does not grow with the events retained.
    const now = clock.now();
    if (now - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now;
      q("DELETE FROM events WHERE at < ?").run(now - EVENT_RETENTION_MS);
    }
  });
  const flushEvents = () => {
    const batch = pendingEvents;
    pendingEvents = [];
    if (batch.length === 0 || !db.open) {
      for (const e of batch) e.reject(new AgovError("UNAVAILABLE", "the state store is closed"));
      return;
    }
    try {
      writeEvents(batch);
    } catch (err) {
      for (const e of batch) e.reject(err);
      return;
    }
    if (handlers.size > 0) poll();
    for (const e of batch) e.resolve();
  };

  // Domain records (sessions, artifacts, rosters, pipeline runs) are documents in one table.
  const docs: Documents = {
    save: async (scope, key, data) => {
      const saved_at = clock.now();
      q(
        "INSERT INTO checkpoints VALUES (?, ?, ?, ?) ON CONFLICT(scope, key) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at",
      ).run(scope, key, json(data), saved_at);
      return { saved_at };
    },
    load: async (scope, key) => {
      const row = q<{ data: string; saved_at: number }>(
        "SELECT data, saved_at FROM checkpoints WHERE scope = ? AND key = ?",
      ).get(scope, key);
      return row ? { data: JSON.parse(row.data), saved_at: row.saved_at } : null;
    },
    entries: async (scope, limit) =>
      q<{ key: string; data: string; saved_at: number }>(
        "SELECT key, data, saved_at FROM checkpoints WHERE scope = ? ORDER BY saved_at DESC, rowid DESC LIMIT ?",
      )
        .all(scope, limit)
        .map((r) => ({ key: r.key, data: JSON.parse(r.data), saved_at: r.saved_at })),
  };

  return {
    kind: "sqlite",
    locks: {
      acquire: async (r, h, t, l) => acquire(r, h, t, l),
      refresh: async (r, l, t) => refresh(r, l, t),
      release: async (r, l) => release(r, l),
      status: async (r) => {
        const row = lockRow.get(r);
        return live(row) ? lease(row) : null;
      },
      releaseAll: async (h) => releaseAll(h),
    },
    blackboard: {
      post: async (e) => post(e),
      read: async (taskId, section?: BlackboardSection) => {
        const rows = section
          ? q<Record<string, unknown>>(
              "SELECT * FROM blackboard WHERE task_id = ? AND section = ? ORDER BY section, key",
            ).all(taskId, section)
          : q<Record<string, unknown>>(
              "SELECT * FROM blackboard WHERE task_id = ? ORDER BY section, key",
            ).all(taskId);
        return rows.map((r) => ({ ...r, value: JSON.parse(r.value as string) }) as BlackboardEntry);
      },
    },
    messages: {
      send: async (m) => {
        const sent_at = clock.now();
        const { lastInsertRowid } = q(
          "INSERT INTO messages (task_id, from_agent, to_agent, type, body, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(m.task_id, m.from, m.to, m.type, json(m.body), sent_at);
        return { ...m, id: String(lastInsertRowid), sent_at };
      },
      read: async (taskId, agentId, afterId, limit = 100) => {
        const after = afterId ? Number(afterId) : 0;
        if (!Number.isInteger(after) || after < 0)
          throw new AgovError(
            "INVALID_INPUT",
            `after_id "${afterId}" is not a message id from this store`,
          );
        const rows = q<Record<string, unknown>>(
          "SELECT * FROM messages WHERE task_id = ? AND seq > ? AND (to_agent = ? OR (to_agent = 'ALL' AND from_agent != ?)) ORDER BY seq LIMIT ?",
        ).all(taskId, after, agentId, agentId, limit);
        return rows.map(
          (r): Message => ({
            id: String(r.seq),
            task_id: r.task_id as string,
            from: r.from_agent as string,
            to: r.to_agent as string,
            type: r.type as Message["type"],
            body: JSON.parse(r.body as string),
            sent_at: r.sent_at as number,
          }),
        );
      },
    },
    agents: {
      heartbeat: async (agentId, ttlMs) => {
        const now = clock.now();
        q(
          "INSERT INTO heartbeats VALUES (?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET at = excluded.at, expires_at = excluded.expires_at",
        ).run(agentId, now, now + ttlMs);
      },
      lastHeartbeat: async (agentId) => {
        const row = q<{ at: number; expires_at: number }>(
          "SELECT at, expires_at FROM heartbeats WHERE agent_id = ?",
        ).get(agentId);
        return row && row.expires_at > clock.now() ? row.at : null;
      },
      getState: async (agentId) =>
        parse(
          q<{ state: string }>("SELECT state FROM agent_state WHERE agent_id = ?").get(agentId)
            ?.state,
        ),
      setState: async (agentId, state) => {
        q(
          "INSERT INTO agent_state VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET state = excluded.state",
        ).run(agentId, json(state));
      },
      putPacket: async (agentId, packet) => {
        q(
          "INSERT INTO packets VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET packet = excluded.packet",
        ).run(agentId, json(packet));
      },
      note: async (agentId, text, keep) => {
        addNote(agentId, text, keep);
      },
      notes: async (agentId) =>
        q<{ note: string }>("SELECT note FROM agent_notes WHERE agent_id = ? ORDER BY seq")
          .all(agentId)
          .map((r) => r.note),
      clearNotes: async (agentId) => {
        q("DELETE FROM agent_notes WHERE agent_id = ?").run(agentId);
      },
      getPacket: async (agentId) =>
        parse(
          q<{ packet: string }>("SELECT packet FROM packets WHERE agent_id = ?").get(agentId)
            ?.packet,
        ),
    },
    errors: {
      record: async (agentId, errorType, procedure = false) =>
        recordError(agentId, errorType, procedure),
      get: async (agentId) => readCounters(agentId),
      reset: async (agentId) => {
        q("DELETE FROM error_counters WHERE agent_id = ?").run(agentId);
      },
    },
    tasks: {
      setActiveAgent: async (taskId, agentId) => {
        q(
          "INSERT INTO task_active VALUES (?, ?) ON CONFLICT(task_id) DO UPDATE SET agent_id = excluded.agent_id",
        ).run(taskId, agentId);
      },
      getActiveAgent: async (taskId) =>
        q<{ agent_id: string }>("SELECT agent_id FROM task_active WHERE task_id = ?").get(taskId)
          ?.agent_id ?? null,
      addArtifact: async (taskId, artifact) => {
        q("INSERT INTO artifacts (task_id, artifact) VALUES (?, ?)").run(taskId, artifact);
      },
      artifacts: async (taskId) =>
        q<{ artifact: string }>("SELECT artifact FROM artifacts WHERE task_id = ? ORDER BY seq")
          .all(taskId)
          .map((r) => r.artifact),
      putHandoff: async (taskId, handoff) => {
        q(
          "INSERT INTO handoffs VALUES (?, ?) ON CONFLICT(task_id) DO UPDATE SET handoff = excluded.handoff",
        ).run(taskId, json(handoff));
      },
      getHandoff: async (taskId) =>
        parse(
          q<{ handoff: string }>("SELECT handoff FROM handoffs WHERE task_id = ?").get(taskId)
            ?.handoff,
        ),
    },
    revocations: {
      append: async (rec) => {
        q("INSERT INTO revocations (record) VALUES (?)").run(json(rec));
      },
      recent: async (limit = 50) =>
        q<{ record: string }>("SELECT record FROM revocations ORDER BY seq DESC LIMIT ?")
          .all(limit)
          .map((r) => JSON.parse(r.record) as RevocationRecord),
    },
    idempotency: {
      claim: async (agentId, key, record, ttlMs) => claimKey(agentId, key, record, ttlMs),
      settle: async (agentId, key, record, ttlMs) => {
        q(
          "INSERT INTO idempotency VALUES (?, ?, ?, ?) ON CONFLICT(agent_id, key) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
        ).run(agentId, key, json(record), clock.now() + ttlMs);
      },
    },
    ...domainRecords(docs),
    events: {
      // Events published in the same tick are written in one transaction (group commit); each
      // publish still resolves only once its row is there for every other process to see.
      publish: (event) =>
        new Promise<void>((resolve, reject) => {
          pendingEvents.push({ event: json(event), at: clock.now(), resolve, reject });
          if (pendingEvents.length === 1) setImmediate(flushEvents);
        }),
      subscribe: (handler) => {
        if (handlers.size === 0) {
          lastEventId =
            q<{ id: number }>("SELECT COALESCE(MAX(id), 0) AS id FROM events").get()?.id ?? 0;
          timer = setInterval(poll, POLL_MS);
          timer.unref();
        }
        handlers.add(handler);
        return () => {
          handlers.delete(handler);
          if (handlers.size === 0 && timer) clearInterval(timer);
        };
      },
    },
    close: async () => {
      if (timer) clearInterval(timer);
      flushEvents(); // what was published before close is written, not lost
      handlers.clear();
      db.close();
    },
  };
}

/**
 * The stored counters with by_type as a prototype-free map: error types come from callers
 * (error_report), and "constructor" must count like any other type, not read Object.prototype.
 */
function counters(text: string | undefined): ErrorCounters {
  const c = parse<ErrorCounters>(text);
  const counts = Object.entries(c?.by_type ?? {}).filter(
    (e): e is [string, number] => typeof e[1] === "number",
  );
  return {
    total_errors: c?.total_errors ?? 0,
    procedure_violations: c?.procedure_violations ?? 0,
    by_type: dict(counts),
  };
}
