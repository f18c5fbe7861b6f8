// Verifying a ledger: the rows against their keyed chain, and the chain against the signed
// anchors kept outside the database. Says what happened, not only where: a row modified, a row
// missing, rows re-chained without the key, the end of the ledger cut off, or the table wiped.
import { type Chain, GENESIS, legacyChain } from "./chain.js";
import type { Anchor, TamperKind } from "./index.js";

type Row = Record<string, unknown>;

/** A signed statement that row `row_id` had `entry_hash`: an anchor or a verified checkpoint. */
export interface Pin {
  row_id: number;
  entry_hash: string;
  /** How messages name it ("the anchor of 2026-…"). */
  name: string;
}

export type ChainCheck =
  | { ok: true; rows: number; first_row: number; last_row: number; end_hash: string }
  | { ok: false; rows: number; bad_row: number; kind: TamperKind; reason: string };

export interface ChainInput {
  chain: Chain;
  anchors: Anchor[];
  /** Signed points already checked for their signature (a checkpoint set aside). */
  pins?: Pin[];
  tip: { last_id: number; entry_hash: string } | null;
  /** A verified checkpoint: the rows up to it are taken as verified and not read. */
  start?: { row_id: number; entry_hash: string };
  /** The stored entry hash of a row, for the anchors at or before `start`. */
  entryHashOf?: (id: number) => string | undefined;
}

/** The rows a verify must look up before it starts: those pinned at or before the checkpoint. */
export function pinnedBefore(input: Pick<ChainInput, "anchors" | "pins" | "start">): number[] {
  const start = input.start?.row_id ?? 0;
  const ids = [...input.anchors, ...(input.pins ?? [])].map((p) => p.row_id);
  return [...new Set(ids.filter((id) => id <= start))];
}

/** One walk along the chain: rows are fed in id order as they are read, a page at a time. */
export interface ChainWalk {
  /** Checks the next row; a failure ends the walk. */
  feed(row: Row): ChainCheck | undefined;
  /** After the last row: checks the end against the anchors and the tip. */
  finish(): ChainCheck;
}

/**
 * Starts a walk from `start` (or the first row), or fails at once when the key, an anchor or a
 * pinned row before the checkpoint is wrong. Rows never have to be held in memory together.
 */
export function walkChain(input: ChainInput): ChainWalk | ChainCheck {
  const { chain } = input;
  const forged = input.anchors.find((a) => !chain.anchorValid(a));
  if (forged)
    return {
      ok: false,
      rows: 0,
      bad_row: forged.row_id,
      kind: "key",
      reason: `an anchor (row ${forged.row_id}, ${forged.at}) is not signed by this ledger key: the key or the anchors were replaced`,
    };
  const legacyUpTo = Math.max(0, ...input.anchors.filter((a) => a.legacy).map((a) => a.row_id));
  const pins: Pin[] = [
    ...input.anchors.map((a) => ({ ...a, name: `the anchor of ${a.at}` })),
    ...(input.pins ?? []),
  ];
  const byRow = new Map<number, Pin>();
  for (const p of pins) if (!byRow.has(p.row_id)) byRow.set(p.row_id, p);
  const latest = pins.reduce<Pin | null>((m, p) => (!m || p.row_id > m.row_id ? p : m), null);

  let prev = input.start?.entry_hash ?? GENESIS;
  let expected = (input.start?.row_id ?? 0) + 1;
  let rows = 0;
  // Rows before the checkpoint are not read, but one lookup per anchor still catches a rewrite
  // or a deletion at the anchored rows.
  if (input.start && input.entryHashOf)
    for (const [id, pin] of byRow) {
      if (id > input.start.row_id) continue;
      const stored = input.entryHashOf(id);
      if (stored === undefined)
        return fail(rows, id, "missing", `row ${id}, which ${pin.name} covers, is missing`);
      if (stored !== pin.entry_hash) return fail(rows, id, "rechained", rewritten(id, pin));
    }

  function feed(row: Row): ChainCheck | undefined {
    const id = row.id as number;
    rows++;
    if (id !== expected)
      return fail(rows, expected, "missing", `row ${expected} is missing (the next row is ${id})`);
    if (row.prev_hash !== prev)
      return fail(
        rows,
        id,
        "missing",
        `row ${id} does not follow row ${id - 1}: a row was removed, reordered or replaced`,
      );
    const legacy = id <= legacyUpTo;
    const entry = legacy ? legacyChain.entryHash(prev, row) : chain.entryHash(prev, row);
    if (row.entry_hash !== entry) {
      const rechained = !legacy && row.entry_hash === chain.unkeyedEntryHash(prev, row);
      return rechained
        ? fail(
            rows,
            id,
            "rechained",
            `row ${id} was re-chained without the ledger key: its hash is consistent but not keyed`,
          )
        : fail(rows, id, "modified", `row ${id} was modified after it was written`);
    }
    const full = legacy ? legacyChain.rowHash(entry, row) : chain.rowHash(entry, row);
    if (row.hash !== full)
      return fail(rows, id, "modified", `row ${id}'s outcome was modified after it was written`);
    const pin = byRow.get(id);
    if (pin && pin.entry_hash !== entry) return fail(rows, id, "rechained", rewritten(id, pin));
    prev = entry;
    expected++;
    return undefined;
  }

  function finish(): ChainCheck {
    const last = expected - 1;
    if (latest && latest.row_id > last) {
      return last === 0
        ? fail(
            rows,
            1,
            "wiped",
            `the ledger is empty but ${latest.name} covers ${latest.row_id} row(s): the table was wiped`,
          )
        : fail(
            rows,
            last + 1,
            "truncated",
            `the ledger ends at row ${last} but ${latest.name} covers row ${latest.row_id}: rows ${last + 1}–${latest.row_id} were deleted`,
          );
    }
    const tip = input.tip;
    if (tip && (tip.last_id !== last || tip.entry_hash !== prev))
      return fail(
        rows,
        last + 1,
        "truncated",
        `the ledger ends at row ${last} but its tip records row ${tip.last_id}: rows were deleted from the end`,
      );
    return {
      ok: true,
      rows,
      first_row: (input.start?.row_id ?? 0) + 1,
      last_row: last,
      end_hash: prev,
    };
  }
  return { feed, finish };
}

/** Verifies the rows after `start` (every row when there is none), given in id order. */
export function verifyChain(input: ChainInput & { rows: Iterable<Row> }): ChainCheck {
  const walk = walkChain(input);
  if (!("feed" in walk)) return walk;
  for (const row of input.rows) {
    const failed = walk.feed(row);
    if (failed) return failed;
  }
  return walk.finish();
}

const rewritten = (id: number, pin: Pin) =>
  `row ${id} differs from ${pin.name}: the history up to it was rewritten`;

function fail(rows: number, bad_row: number, kind: TamperKind, reason: string): ChainCheck {
  return { ok: false, rows, bad_row, kind, reason };
}
