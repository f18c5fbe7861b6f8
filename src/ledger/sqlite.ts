// The embedded ledger on SQLite ($AGOV_HOME/ledger.db). Appends are group-committed: every row
// queued in one turn of the event loop (the calls in flight) goes into one BEGIN IMMEDIATE
// transaction, and each caller's promise resolves only after that commit, so no effect runs before
// its row is on disk. Outcomes of changing calls ride along with the next commit. Several
// processes extend one chain: the tip is read inside the write lock.
import { join } from "node:path";
import type { Clock } from "../util/clock.js";
import { isoNow } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { type Db, migrate, openDatabase } from "../util/sqlite.js";
import { type Chain, createChain, GENESIS, outcomeColumns } from "./chain.js";
import { createVerifier } from "./checkpoint.js";
import type {
  ActionOutcome,
  ActionQuery,
  ActionRow,
  AgentMetrics,
  Anchor,
  Ledger,
  LedgerEvent,
  Promotion,
  Revocation,
  Violation,
} from "./index.js";
import { type AnchorStore, appendAnchor, defaultKeyFile, fileAnchors, loadKeyFile } from "./key.js";
import { importLegacy } from "./legacy.js";
import { createLedgerQuery } from "./query.js";
import { agentMetrics, type Row, toRow } from "./rows.js";
import { MIGRATIONS } from "./schema.js";

/** Rows between anchors, and the longest a written row waits for one. */
const ANCHOR_EVERY_ROWS = 1000;
const ANCHOR_EVERY_MS = 60_000;
/** How long a completed outcome waits for the next commit before it is written on its own. */
const OUTCOME_FLUSH_MS = 10;

export interface SqliteLedgerOptions {
  home?: string;
  file?: string;
  /** The ledger key file (default $AGOV_HOME/keys/ledger.key); anchors are written beside it. */
  keyFile?: string;
  /** A key held elsewhere (Vault); the key file is then not used. */
  key?: Buffer;
  /** More places to keep anchors (Redis when configured). */
  anchorStores?: AnchorStore[];
  clock: Clock;
}

interface Queued {
  row: Row;
  resolve(id: number): void;
  reject(err: unknown): void;
}

export function createSqliteLedger(opts: SqliteLedgerOptions): Ledger {
  const home = opts.home ?? ".";
  const file = opts.file ?? join(home, "ledger.db");
  const keyFile = opts.keyFile ?? defaultKeyFile(home);
  const db: Db = openDatabase(file);
  migrate(db, MIGRATIONS);
  const { clock } = opts;

  const meta = db.prepare("SELECT value FROM ledger_meta WHERE key = ?").pluck();
  const setMeta = db.prepare(
    "INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const tip = db.prepare("SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1");
  const readTip = () => tip.get() as { last_id: number; entry_hash: string } | undefined;

  const stores = [fileAnchors(join(keyFile, "..", "anchors.jsonl")), ...(opts.anchorStores ?? [])];
  const chain: Chain = createChain(opts.key ?? openKey());

  /**
   * The key file is created with the ledger. A ledger that already has keyed rows but no key is
   * not given a new one: that would make its whole history unverifiable without a word.
   */
  function openKey(): Buffer {
    const existing = loadKeyFile(keyFile, false);
    if (existing) return existing;
    if (meta.get("keyed"))
      throw new AgovError(
        "UNAVAILABLE",
        `the ledger key ${keyFile} is missing but ${file} was written with one; restore the key from your backup (agov will not make a new one over a keyed history)`,
      );
    return loadKeyFile(keyFile, true)!;
  }

  // A ledger written before it was keyed: its rows so far are pinned by a signed legacy anchor, and
  // the rows of its old metric tables are carried into the chain.
  db.transaction(() => {
    if (meta.get("keyed")) return;
    const last = readTip();
    if (last && last.last_id > 0) {
      const anchor = chain.signAnchor({
        row_id: last.last_id,
        entry_hash: last.entry_hash,
        at: isoNow(clock),
        legacy: true,
      });
      for (const s of stores) void s.append(anchor);
    }
    setMeta.run("keyed", "1");
  }).immediate();

  const insert = db.prepare(`INSERT INTO agent_actions
    (id, timestamp, kind, agent_id, agent_version, tier, action, decision, confidence, success,
     error_type, error_reason, error_message, tool, session_id, args_digest, latency_us, detail,
     prev_hash, entry_hash, hash)
    VALUES (@id, @timestamp, @kind, @agent_id, @agent_version, @tier, @action, @decision,
     @confidence, @success, @error_type, @error_reason, @error_message, @tool, @session_id,
     @args_digest, @latency_us, @detail, @prev_hash, @entry_hash, @hash)`);
  const setTip = db.prepare(
    "INSERT INTO ledger_tip (one, last_id, entry_hash) VALUES (1, @id, @entry_hash) ON CONFLICT(one) DO UPDATE SET last_id = @id, entry_hash = @entry_hash",
  );
  const getRow = db.prepare("SELECT * FROM agent_actions WHERE id = ?");
  const updateOutcome = db.prepare(
    "UPDATE agent_actions SET success = @success, error_type = @error_type, error_reason = @error_reason, error_message = @error_message, latency_us = @latency_us, hash = @hash WHERE id = @id",
  );

  let queue: Queued[] = [];
  let outcomes = new Map<number, ActionOutcome>();
  let scheduled = false;
  let outcomeTimer: NodeJS.Timeout | undefined;
  let lastAnchor = { id: 0, at: clock.now() };
  let closed = false;

  const writeBatch = db.transaction((batch: Queued[], done: Map<number, ActionOutcome>) => {
    const last = readTip();
    let id = last?.last_id ?? 0;
    let prev = last?.entry_hash ?? GENESIS;
    const ids: number[] = [];
    for (const q of batch) {
      id++;
      const row: Row = { ...q.row, id, prev_hash: prev };
      row.entry_hash = chain.entryHash(prev, row);
      row.hash = chain.rowHash(row.entry_hash as string, row);
      insert.run(row);
      prev = row.entry_hash as string;
      ids.push(id);
    }
    if (batch.length > 0) setTip.run({ id, entry_hash: prev });
    for (const [rowId, outcome] of done) {
      const row = getRow.get(rowId) as Row | undefined;
      if (!row || row.success !== null) continue;
      const cols = outcomeColumns(outcome);
      updateOutcome.run({
        id: rowId,
        ...cols,
        hash: chain.rowHash(row.entry_hash as string, cols),
      });
    }
    return { ids, tip: { id, entry_hash: prev } };
  });

  function flushNow(): void {
    scheduled = false;
    if (outcomeTimer) clearTimeout(outcomeTimer);
    outcomeTimer = undefined;
    if (queue.length === 0 && outcomes.size === 0) return;
    const batch = queue;
    const done = outcomes;
    queue = [];
    outcomes = new Map();
    let written: ReturnType<typeof writeBatch>;
    try {
      written = writeBatch.immediate(batch, done);
    } catch (err) {
      // The outcomes are tried again with the next commit; the callers of the rows are told.
      for (const [id, o] of done) if (!outcomes.has(id)) outcomes.set(id, o);
      const e = new AgovError(
        "UNAVAILABLE",
        `audit ledger ${file} cannot be written: ${(err as Error).message}`,
      );
      for (const q of batch) q.reject(e);
      return;
    }
    for (const [i, q] of batch.entries()) q.resolve(written.ids[i]!);
    const now = clock.now();
    if (
      written.tip.id > lastAnchor.id &&
      (written.tip.id - lastAnchor.id >= ANCHOR_EVERY_ROWS ||
        now - lastAnchor.at >= ANCHOR_EVERY_MS)
    )
      writeAnchor(written.tip);
  }

  function writeAnchor(at: { id: number; entry_hash: string }): Anchor {
    lastAnchor = { id: at.id, at: clock.now() };
    return appendAnchor(chain, stores, at, isoNow(clock));
  }

  function enqueue(event: LedgerEvent, outcome: ActionOutcome | undefined): Promise<number> {
    if (closed) return Promise.reject(new AgovError("UNAVAILABLE", "the audit ledger is closed"));
    const row = toRow(event, outcome, isoNow(clock));
    return new Promise<number>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushNow);
      }
    });
  }

  const reader = createLedgerQuery(db);
  const verifier = createVerifier({
    db,
    chain,
    clock,
    keptAnchors: async () => (await Promise.all(stores.map((s) => s.read()))).flat(),
  });
  const select = (sql: string) => db.prepare(sql);
  const revocationsAll = select("SELECT * FROM revocations ORDER BY id");
  const revocationsOf = select("SELECT * FROM revocations WHERE agent_id = ? ORDER BY id");
  const violationsAll = select("SELECT * FROM violations ORDER BY id");
  const violationsOf = select("SELECT * FROM violations WHERE agent_id = ? ORDER BY id");
  const promotionsAll = select("SELECT * FROM promotions ORDER BY id");
  const promotionsOf = select("SELECT * FROM promotions WHERE agent_id = ? ORDER BY id");
  const metricsOf = select("SELECT * FROM agent_metrics WHERE agent_id = ?");

  const ledger: Ledger = {
    record: (event, outcome) => enqueue(event, outcome),
    begin: (event) => enqueue(event, undefined),
    complete(id, outcome) {
      if (closed) return;
      outcomes.set(id, outcome);
      if (!scheduled && !outcomeTimer) {
        outcomeTimer = setTimeout(flushNow, OUTCOME_FLUSH_MS);
        outcomeTimer.unref();
      }
    },
    async flush() {
      flushNow();
    },

    async query(q: ActionQuery): Promise<ActionRow[]> {
      flushNow();
      return reader.run(q);
    },

    async matching(q: ActionQuery): Promise<number> {
      flushNow();
      return reader.count(q);
    },

    async verify(opts) {
      flushNow();
      return verifier(opts);
    },

    async anchor() {
      flushNow();
      const last = readTip();
      return last && last.last_id > 0
        ? writeAnchor({ id: last.last_id, entry_hash: last.entry_hash })
        : null;
    },

    async count() {
      flushNow();
      return readTip()?.last_id ?? 0;
    },

    async revocations(agentId) {
      flushNow();
      return (agentId ? revocationsOf.all(agentId) : revocationsAll.all()) as Revocation[];
    },
    async violations(agentId) {
      flushNow();
      return (agentId ? violationsOf.all(agentId) : violationsAll.all()) as Violation[];
    },
    async promotions(agentId) {
      flushNow();
      return (agentId ? promotionsOf.all(agentId) : promotionsAll.all()) as Promotion[];
    },
    async metrics(agentId): Promise<AgentMetrics> {
      flushNow();
      return agentMetrics(agentId, metricsOf.get(agentId) as AgentMetrics | undefined);
    },

    async close() {
      if (closed) return;
      flushNow();
      const last = readTip();
      if (last && last.last_id > lastAnchor.id)
        writeAnchor({ id: last.last_id, entry_hash: last.entry_hash });
      closed = true;
      db.close();
    },
  };

  importLegacy(db, (event, outcome, timestamp) => {
    const row = toRow(event, outcome, timestamp);
    writeBatch.immediate([{ row, resolve: () => {}, reject: () => {} }], new Map());
  });
  return ledger;
}
