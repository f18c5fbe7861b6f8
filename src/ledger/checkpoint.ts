// Incremental verify: once a verify succeeds, the row it reached is kept as a verified checkpoint,
// signed with the ledger key in ledger_meta, and the next verify reads only the rows after it.
import type { Clock } from "../util/clock.js";
import { isoNow } from "../util/clock.js";
import type { Db } from "../util/sqlite.js";
import type { Chain } from "./chain.js";
import type { Anchor, Checkpoint, VerifyResult } from "./index.js";
import { type Pin, verifyChain } from "./verify.js";

type Row = Record<string, unknown>;
const KEY = "verified_checkpoint";

export interface VerifierDeps {
  db: Db;
  chain: Chain;
  clock: Clock;
  /** The anchors kept beside the key and in the other anchor stores. */
  keptAnchors(): Promise<Anchor[]>;
  tip(): { last_id: number; entry_hash: string } | undefined;
}

export function createVerifier(deps: VerifierDeps) {
  const { db, chain } = deps;
  const getMeta = db.prepare("SELECT value FROM ledger_meta WHERE key = ?").pluck();
  const setMeta = db.prepare(
    "INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const entryHash = db.prepare("SELECT entry_hash FROM agent_actions WHERE id = ?").pluck();
  const rowsAfter = db.prepare("SELECT * FROM agent_actions WHERE id > ? ORDER BY id");

  /**
   * Where the last verify got to. A checkpoint this key did not sign is set aside; one whose row
   * no longer matches is set aside too, but as a signed pin it still says the row existed.
   */
  function stored(): { start?: Checkpoint; pin?: Checkpoint; fallback?: string } {
    const text = getMeta.get(KEY) as string | undefined;
    if (text === undefined) return {};
    const cp = parse(text);
    if (!cp || !chain.checkpointValid(cp))
      return {
        fallback: `the verified checkpoint${cp ? ` at row ${cp.row_id}` : ""} is not signed by this ledger key`,
      };
    const hash = entryHash.get(cp.row_id) as string | undefined;
    if (hash !== cp.entry_hash)
      return {
        pin: cp,
        fallback: `row ${cp.row_id} no longer matches the checkpoint of ${cp.at} (${hash === undefined ? "it is missing" : "it was rewritten"})`,
      };
    return { start: cp };
  }

  return async function verify(opts?: {
    anchors?: Anchor[];
    full?: boolean;
  }): Promise<VerifyResult> {
    const anchors = [...(await deps.keptAnchors()), ...(opts?.anchors ?? [])];
    const found = stored();
    // --full reads every row, but a checkpoint it can trust still pins the row it reached.
    const start = opts?.full ? undefined : found.start;
    const pin = found.pin ?? (opts?.full ? found.start : undefined);
    const pins: Pin[] = pin ? [{ ...pin, name: `the verified checkpoint of ${pin.at}` }] : [];
    const after = start?.row_id ?? 0;
    // Started only when verifyChain reads it, and closed when it stops early: an open iterator
    // would keep the connection busy.
    const rows = (function* () {
      yield* rowsAfter.iterate(after) as Iterable<Row>;
    })();
    const check = verifyChain({
      chain,
      rows,
      anchors,
      pins,
      tip: deps.tip() ?? null,
      ...(start
        ? { start, entryHashOf: (id: number) => entryHash.get(id) as string | undefined }
        : {}),
    });
    const scope = {
      scope: start ? ("incremental" as const) : ("full" as const),
      checkpoint: start?.row_id ?? null,
      ...(found.fallback && !opts?.full ? { fallback: found.fallback } : {}),
    };
    if (!check.ok) return { ...scope, ...check };
    const { end_hash, ...rest } = check;
    if (rest.last_row > after)
      setMeta.run(
        KEY,
        JSON.stringify(
          chain.signCheckpoint({
            row_id: rest.last_row,
            entry_hash: end_hash,
            at: isoNow(deps.clock),
          }),
        ),
      );
    const anchored = anchors.reduce<number | null>((m, a) => Math.max(m ?? 0, a.row_id), null);
    return { ...scope, ...rest, anchored_to: anchored };
  };
}

function parse(text: string): Checkpoint | null {
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
