// The fleet's ledger on PostgreSQL: the rows, chain and derived views of the embedded ledger in a
// shared database, so every `agov serve` of a fleet writes one chain. Appends are group-committed
// (the rows of the calls in flight go in one transaction, see postgres-append.ts) and a caller's
// promise resolves only after the commit; an unreachable database rejects with UNAVAILABLE.
import { join } from "node:path";
import type { Clock } from "../util/clock.js";
import { isoNow } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { type Chain, createChain } from "./chain.js";
import type { ActionOutcome, AgentMetrics, Anchor, Ledger, LedgerEvent } from "./index.js";
import { type AnchorStore, appendAnchor, defaultKeyFile, fileAnchors } from "./key.js";
import { appendBatch, type Tip } from "./postgres-append.js";
import { migratePg, openPool } from "./postgres-db.js";
import { agreedKey } from "./postgres-key.js";

export { describeDb } from "./postgres-db.js";

import { createPgReads } from "./postgres-read.js";
import { type Row, toRow } from "./rows.js";

const ANCHOR_EVERY_ROWS = 1000;
const ANCHOR_EVERY_MS = 60_000;
/** How long a completed outcome waits for the next commit before it is written on its own. */
const OUTCOME_FLUSH_MS = 10;

export interface PostgresLedgerOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  home?: string;
  /** The ledger key file (default $AGOV_HOME/keys/ledger.key); anchors are written beside it. */
  keyFile?: string;
  /** A key held elsewhere (Vault); the key file is then not used. */
  key?: Buffer;
  anchorStores?: AnchorStore[];
  clock: Clock;
  /** Connections this instance opens (default 4: one writer, the rest for reads). */
  poolSize?: number;
}

interface Queued {
  row: Row;
  resolve(id: number): void;
  reject(err: unknown): void;
}

export async function createPostgresLedger(opts: PostgresLedgerOptions): Promise<Ledger> {
  const { clock } = opts;
  const keyFile = opts.keyFile ?? defaultKeyFile(opts.home ?? ".");
  const db = openPool(opts.url, opts.poolSize ? { max: opts.poolSize } : {});
  const { pool } = db;
  let chain: Chain;
  try {
    await migratePg(pool);
    chain = createChain(await agreedKey(db, opts.key ? { key: opts.key } : { keyFile }));
  } catch (err) {
    await pool.end().catch(() => {});
    throw err instanceof AgovError ? err : db.unavailable("cannot be opened", err);
  }
  const stores = [fileAnchors(join(keyFile, "..", "anchors.jsonl")), ...(opts.anchorStores ?? [])];

  let queue: Queued[] = [];
  let outcomes = new Map<number, ActionOutcome>();
  let scheduled = false;
  let outcomeTimer: NodeJS.Timeout | undefined;
  let writing: Promise<boolean> | null = null;
  let lastAnchor = { id: 0, at: clock.now() };
  let closed = false;

  /** Writes one batch; false when the database refused it (its callers are told). */
  async function writeOnce(): Promise<boolean> {
    const batch = queue;
    const done = outcomes;
    queue = [];
    outcomes = new Map();
    let written: Awaited<ReturnType<typeof appendBatch>>;
    try {
      const client = await pool.connect();
      try {
        written = await appendBatch(
          client,
          chain,
          batch.map((q) => q.row),
          done,
        );
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    } catch (err) {
      // The outcomes are tried again with the next commit; the callers of the rows are told. A
      // connection lost during COMMIT may have committed the rows all the same: their calls are
      // refused, so no effect follows a begun row, which reads as an unknown outcome.
      for (const [id, o] of done) if (!outcomes.has(id)) outcomes.set(id, o);
      const e = db.unavailable("cannot be written", err);
      for (const q of batch) q.reject(e);
      return false;
    }
    for (const [i, q] of batch.entries()) q.resolve(written.ids[i]!);
    const now = clock.now();
    const tip = written.tip;
    if (
      tip &&
      tip.id > lastAnchor.id &&
      (tip.id - lastAnchor.id >= ANCHOR_EVERY_ROWS || now - lastAnchor.at >= ANCHOR_EVERY_MS)
    )
      writeAnchor(tip);
    return true;
  }

  /**
   * Writes the next batch unless one is being written (then answers that one); says whether it
   * was written. Rows that arrive meanwhile form the next batch, started as soon as this one ends.
   */
  function kick(): Promise<boolean> {
    scheduled = false;
    if (outcomeTimer) clearTimeout(outcomeTimer);
    outcomeTimer = undefined;
    if (writing) return writing;
    if (queue.length === 0 && outcomes.size === 0) return Promise.resolve(true);
    const run = writeOnce();
    writing = run;
    void run.then((ok) => {
      writing = null;
      if (queue.length > 0) schedule();
      // Outcomes completed during the write; after a failure they wait for the next rows (or a
      // flush) rather than retrying every few ms against a database that is down.
      else if (ok && outcomes.size > 0) armOutcomes();
    });
    return run;
  }

  function armOutcomes(): void {
    if (scheduled || outcomeTimer) return;
    outcomeTimer = setTimeout(kick, OUTCOME_FLUSH_MS);
    outcomeTimer.unref();
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(kick);
  }

  /**
   * Waits until what was queued before the call is written (or refused): the batch in flight, then
   * the one holding the queued rows, then one for outcomes completed meanwhile. Bounded, so a
   * reader is not held up by writers that keep coming.
   */
  async function drain(): Promise<void> {
    for (let i = 0; i < 3 && (writing || queue.length > 0 || outcomes.size > 0); i++)
      if (!(await kick())) return;
  }

  function writeAnchor(at: Tip): Anchor {
    lastAnchor = { id: at.id, at: clock.now() };
    return appendAnchor(chain, stores, at, isoNow(clock));
  }

  function enqueue(event: LedgerEvent, outcome: ActionOutcome | undefined): Promise<number> {
    if (closed) return Promise.reject(new AgovError("UNAVAILABLE", "the audit ledger is closed"));
    const row = toRow(event, outcome, isoNow(clock));
    return new Promise<number>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      schedule();
    });
  }

  const reads = createPgReads(db, chain, stores, clock);

  return {
    record: (event, outcome) => enqueue(event, outcome),
    begin: (event) => enqueue(event, undefined),
    complete(id, outcome) {
      if (closed) return;
      outcomes.set(id, outcome);
      if (!writing) armOutcomes();
    },
    flush: drain,
    async query(q) {
      await drain();
      return reads.query(q);
    },
    async matching(q) {
      await drain();
      return reads.matching(q);
    },
    async verify(v) {
      await drain();
      return reads.verify(v?.anchors ?? [], v?.full ?? false);
    },
    async anchor() {
      await drain();
      const tip = await reads.tip();
      return tip ? writeAnchor(tip) : null;
    },
    async count() {
      await drain();
      return (await reads.tip())?.id ?? 0;
    },
    async revocations(agentId) {
      await drain();
      return reads.revocations(agentId);
    },
    async violations(agentId) {
      await drain();
      return reads.violations(agentId);
    },
    async promotions(agentId) {
      await drain();
      return reads.promotions(agentId);
    },
    async metrics(agentId): Promise<AgentMetrics> {
      await drain();
      return reads.metrics(agentId);
    },
    async close() {
      if (closed) return;
      await drain();
      closed = true;
      try {
        const tip = await reads.tip();
        if (tip && tip.id > lastAnchor.id) writeAnchor(tip);
      } catch {
        // The database is gone: there is no tip to anchor, and the pool still has to close.
      }
      await pool.end().catch(() => {});
    },
  };
}
