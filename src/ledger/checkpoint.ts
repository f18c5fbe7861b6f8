// Incremental verify: once a verify succeeds, the row it reached is kept as a verified checkpoint,
// signed with the ledger key in ledger_meta, and the next verify reads only the rows after it.
// Both ledgers use these steps; each reads its rows in its own consistent snapshot.
import type { Clock } from "../util/clock.js";
import { isoNow } from "../util/clock.js";
import type { Db } from "../util/sqlite.js";
import type { Chain } from "./chain.js";
import type { Anchor, Checkpoint, VerifyResult } from "./index.js";
import { type ChainCheck, type ChainInput, type Pin, pinnedBefore, verifyChain } from "./verify.js";

type Row = Record<string, unknown>;
/** The ledger_meta key of the verified checkpoint, in either ledger. */
export const CHECKPOINT_KEY = "verified_checkpoint";

/** What a stored checkpoint is worth: where to start, a pin to keep, or why it was set aside. */
export interface CheckpointState {
  start?: Checkpoint;
  pin?: Checkpoint;
  fallback?: string;
}

/** The checkpoint text as stored: undefined when none is, null when it cannot be read. */
export function parseCheckpoint(text: string | undefined): Checkpoint | null | undefined {
  if (text === undefined) return undefined;
  try {
    const o = JSON.parse(text) as Partial<Checkpoint>;
    return typeof o.row_id === "number" &&
      typeof o.entry_hash === "string" &&
      typeof o.at === "string" &&
      typeof o.mac === "string"
      ? (o as Checkpoint)
      : null;
  } catch {
    return null;
  }
}

/**
 * Where the last verify got to. A checkpoint this key did not sign is set aside; one whose row
 * no longer matches (`stored` is that row's entry hash now) is set aside too, but as a signed pin
 * it still says the row existed.
 */
export function judgeCheckpoint(
  cp: Checkpoint | null | undefined,
  chain: Chain,
  stored: string | undefined,
): CheckpointState {
  if (cp === undefined) return {};
  if (!cp || !chain.checkpointValid(cp))
    return {
      fallback: `the verified checkpoint${cp ? ` at row ${cp.row_id}` : ""} is not signed by this ledger key`,
    };
  if (stored !== cp.entry_hash)
    return {
      pin: cp,
      fallback: `row ${cp.row_id} no longer matches the checkpoint of ${cp.at} (${stored === undefined ? "it is missing" : "it was rewritten"})`,
    };
  return { start: cp };
}

/** A verify about to run: from where, with which pins, and what its answer will say of scope. */
export interface VerifyPlan {
  start?: Checkpoint;
  pins: Pin[];
  /** The rows after this id are read. */
  after: number;
  scope: Pick<VerifyResult, "scope" | "checkpoint"> & { fallback?: string };
}

export function planVerify(found: CheckpointState, full: boolean): VerifyPlan {
  // --full reads every row, but a checkpoint it can trust still pins the row it reached.
  const start = full ? undefined : found.start;
  const pin = found.pin ?? (full ? found.start : undefined);
  return {
    ...(start ? { start } : {}),
    pins: pin ? [{ ...pin, name: `the verified checkpoint of ${pin.at}` }] : [],
    after: start?.row_id ?? 0,
    scope: {
      scope: start ? "incremental" : "full",
      checkpoint: start?.row_id ?? null,
      ...(found.fallback && !full ? { fallback: found.fallback } : {}),
    },
  };
}

/** The rows a planned verify must look up before reading: those pinned at or before its start. */
export const lookupsOf = (plan: VerifyPlan, anchors: Anchor[]): number[] =>
  plan.start ? pinnedBefore({ anchors, pins: plan.pins, start: plan.start }) : [];

/** The chain check's answer as the port gives it, and the checkpoint to keep when it moved on. */
export function concludeVerify(
  check: ChainCheck,
  plan: VerifyPlan,
  anchors: Anchor[],
  chain: Chain,
  clock: Clock,
): { result: VerifyResult; checkpoint?: Checkpoint } {
  if (!check.ok) return { result: { ...plan.scope, ...check } };
  const { end_hash, ...rest } = check;
  const anchored = anchors.reduce<number | null>((m, a) => Math.max(m ?? 0, a.row_id), null);
  const result: VerifyResult = { ...plan.scope, ...rest, anchored_to: anchored };
  return rest.last_row > plan.after
    ? {
        result,
        checkpoint: chain.signCheckpoint({
          row_id: rest.last_row,
          entry_hash: end_hash,
          at: isoNow(clock),
        }),
      }
    : { result };
}

export interface VerifierDeps {
  db: Db;
  chain: Chain;
  clock: Clock;
  /** The anchors kept beside the key and in the other anchor stores. */
  keptAnchors(): Promise<Anchor[]>;
}

/** The embedded ledger's verify: the checkpoint, tip and rows read in one read transaction. */
export function createVerifier(deps: VerifierDeps) {
  const { db, chain } = deps;
  const getMeta = db.prepare("SELECT value FROM ledger_meta WHERE key = ?").pluck();
  const setMeta = db.prepare(
    "INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const entryHash = db.prepare("SELECT entry_hash FROM agent_actions WHERE id = ?").pluck();
  const tip = db.prepare("SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1");
  const rowsAfter = db.prepare("SELECT * FROM agent_actions WHERE id > ? ORDER BY id");
  const hashAt = (id: number) => entryHash.get(id) as string | undefined;

  return async function verify(opts?: {
    anchors?: Anchor[];
    full?: boolean;
  }): Promise<VerifyResult> {
    const anchors = [...(await deps.keptAnchors()), ...(opts?.anchors ?? [])];
    // Synchronous from here on, inside one read transaction: rows other processes append
    // meanwhile are not seen, and the tip read is the tip of the rows read.
    const { result, checkpoint } = db
      .transaction(() => {
        const cp = parseCheckpoint(getMeta.get(CHECKPOINT_KEY) as string | undefined);
        const plan = planVerify(
          judgeCheckpoint(cp, chain, cp ? hashAt(cp.row_id) : undefined),
          !!opts?.full,
        );
        const input: ChainInput = {
          chain,
          anchors,
          pins: plan.pins,
          tip: (tip.get() as { last_id: number; entry_hash: string } | undefined) ?? null,
          ...(plan.start ? { start: plan.start, entryHashOf: hashAt } : {}),
        };
        // Started only when verifyChain reads it, and closed when it stops early: an open iterator
        // would keep the connection busy.
        const rows = (function* () {
          yield* rowsAfter.iterate(plan.after) as Iterable<Row>;
        })();
        return concludeVerify(verifyChain({ ...input, rows }), plan, anchors, chain, deps.clock);
      })
      .deferred();
    if (checkpoint) setMeta.run(CHECKPOINT_KEY, JSON.stringify(checkpoint));
    return result;
  };
}
