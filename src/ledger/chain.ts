// The ledger's keyed hash chain, shared by every adapter. entry_hash is an HMAC (key kept outside
// the database) over the row's entry fields and the previous row's entry_hash; hash covers
// entry_hash and the outcome. Without the key nobody can re-chain edited rows; rows written before
// the ledger was keyed (legacy) were chained with plain SHA-256 and stay verifiable as such.
import { createHmac } from "node:crypto";
import { canonicalJson, sha256 } from "../util/json.js";
import { clip } from "../util/text.js";
import type { ActionOutcome, Anchor, Checkpoint } from "./index.js";

export const GENESIS = "0".repeat(64);

const LEGACY_ENTRY_FIELDS = [
  "id",
  "timestamp",
  "agent_id",
  "agent_version",
  "tier",
  "action",
  "decision",
  "confidence",
  "tool",
  "session_id",
  "args_digest",
] as const;
const ENTRY_FIELDS = [...LEGACY_ENTRY_FIELDS, "kind", "detail"] as const;
const LEGACY_OUTCOME_FIELDS = ["success", "error_type", "error_message", "latency_us"] as const;
const OUTCOME_FIELDS = [...LEGACY_OUTCOME_FIELDS, "error_reason"] as const;

type Row = Record<string, unknown>;
const pick = (row: Row, fields: readonly string[]) =>
  Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));

/**
 * canonicalJson(pick(row, fields)), written straight from the row: the hashed text of every row,
 * so it is on every call's path. Rows hold only strings, numbers and nulls; anything else (never
 * written by agov) takes the general serializer, so the text is the same either way.
 */
function flatText(fields: readonly string[]): (row: Row) => string {
  const sorted = [...fields].sort();
  const keys = sorted.map((f, i) => `${i ? "," : "{"}${JSON.stringify(f)}:`);
  return (row) => {
    let text = "";
    for (let i = 0; i < sorted.length; i++) {
      const v = row[sorted[i]!] ?? null;
      if (typeof v === "object" && v !== null) return canonicalJson(pick(row, fields));
      text += keys[i] + JSON.stringify(v);
    }
    return `${text}}`;
  };
}
const entryText = flatText(ENTRY_FIELDS);
const outcomeText = flatText(OUTCOME_FIELDS);

export interface Chain {
  entryHash(prevHash: string, row: Row): string;
  rowHash(entryHash: string, row: Row): string;
  /** The same hashes without the key: what someone re-chaining rows without it would compute. */
  unkeyedEntryHash(prevHash: string, row: Row): string;
  signAnchor(a: Omit<Anchor, "mac">): Anchor;
  anchorValid(a: Anchor): boolean;
  signCheckpoint(c: Omit<Checkpoint, "mac">): Checkpoint;
  checkpointValid(c: Checkpoint): boolean;
}

export function createChain(key: Buffer): Chain {
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("hex");
  const anchorText = (a: Omit<Anchor, "mac">) =>
    `anchor\n${a.row_id}\n${a.entry_hash}\n${a.at}\n${a.legacy ? "legacy" : "keyed"}`;
  // Its own prefix: a checkpoint says "verified up to here", which an anchor does not.
  const checkpointText = (c: Omit<Checkpoint, "mac">) =>
    `checkpoint\n${c.row_id}\n${c.entry_hash}\n${c.at}`;
  return {
    entryHash: (prev, row) => mac(`${prev}\n${entryText(row)}`),
    rowHash: (entry, row) => mac(`${entry}\n${outcomeText(row)}`),
    unkeyedEntryHash: (prev, row) => sha256(`${prev}\n${entryText(row)}`),
    signAnchor: (a) => ({ ...a, mac: mac(anchorText(a)) }),
    anchorValid: (a) => typeof a.mac === "string" && safeEqual(a.mac, mac(anchorText(a))),
    signCheckpoint: (c) => ({ ...c, mac: mac(checkpointText(c)) }),
    checkpointValid: (c) => typeof c.mac === "string" && safeEqual(c.mac, mac(checkpointText(c))),
  };
}

/** The pre-key chain (plain SHA-256 over the original fields), for rows up to the legacy anchor. */
export const legacyChain = {
  entryHash: (prev: string, row: Row) =>
    sha256(`${prev}\n${canonicalJson(pick(row, LEGACY_ENTRY_FIELDS))}`),
  rowHash: (entry: string, row: Row) =>
    sha256(`${entry}\n${canonicalJson(pick(row, LEGACY_OUTCOME_FIELDS))}`),
};

export function outcomeColumns(outcome: ActionOutcome | undefined): Row {
  if (!outcome)
    return {
      success: null,
      error_type: null,
      error_message: null,
      latency_us: null,
      error_reason: null,
    };
  return {
    success: outcome.success === null ? null : outcome.success ? 1 : 0,
    error_type: cap(outcome.error_type ?? null, 100),
    error_reason: cap(outcome.error_reason ?? null, 100),
    error_message: cap(outcome.error_message ?? null, 2000),
    latency_us: outcome.latency_us ?? null,
  };
}

/**
 * Bounds a caller-supplied string before it reaches the ledger: what is cut is replaced by its
 * length and digest, so the row stays small and still pins down what was sent.
 */
export const cap = (text: string | null, max: number): string | null =>
  text === null ? null : clip(text, max);

/** Field limits of every row (characters). */
export const LIMITS = {
  agent_id: 200,
  agent_version: 200,
  action: 500,
  tool: 200,
  session_id: 200,
  args_digest: 64,
  detail: 8000,
} as const;

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
