// Verifying a ledger: the rows against their keyed chain, and the chain against the signed
// anchors kept outside the database. Says what happened, not only where: a row modified, a row
// missing, rows re-chained without the key, the end of the ledger cut off, or the table wiped.
import { type Chain, GENESIS, legacyChain } from "./chain.js";
import type { Anchor, VerifyResult } from "./index.js";

type Row = Record<string, unknown>;

export function verifyChain(input: {
  chain: Chain;
  rows: Iterable<Row>;
  anchors: Anchor[];
  tip: { last_id: number; entry_hash: string } | null;
}): VerifyResult {
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
  const byRow = new Map<number, Anchor>();
  for (const a of input.anchors) if (!byRow.has(a.row_id)) byRow.set(a.row_id, a);
  const latest = input.anchors.reduce<Anchor | null>(
    (m, a) => (!m || a.row_id > m.row_id ? a : m),
    null,
  );

  let prev = GENESIS;
  let expected = 1;
  let rows = 0;
  for (const row of input.rows) {
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
    const anchor = byRow.get(id);
    if (anchor && anchor.entry_hash !== entry)
      return fail(
        rows,
        id,
        "rechained",
        `row ${id} differs from the anchor of ${anchor.at}: the history up to it was rewritten`,
      );
    prev = entry;
    expected++;
  }
  const last = expected - 1;
  if (latest && latest.row_id > last) {
    return last === 0
      ? fail(
          rows,
          1,
          "wiped",
          `the ledger is empty but the anchor of ${latest.at} covers ${latest.row_id} row(s): the table was wiped`,
        )
      : fail(
          rows,
          last + 1,
          "truncated",
          `the ledger ends at row ${last} but the anchor of ${latest.at} covers row ${latest.row_id}: rows ${last + 1}–${latest.row_id} were deleted`,
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
  return { ok: true, rows, anchored_to: latest?.row_id ?? null };
}

function fail(
  rows: number,
  bad_row: number,
  kind: "modified" | "missing" | "rechained" | "truncated" | "wiped",
  reason: string,
): VerifyResult {
  return { ok: false, rows, bad_row, kind, reason };
}
