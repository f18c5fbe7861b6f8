// Caller-supplied text echoed back (a tool name in "unknown tool", a field in an error) is clipped,
// so what a caller sends cannot make our answers, logs or counters as large as it likes.
import { createHash } from "node:crypto";

/** Longest caller-supplied name echoed in an answer (MCP tool names are at most 128). */
export const MAX_ECHO = 200;

/**
 * `text` if it fits in `max` characters; otherwise its start followed by how much was cut and a
 * digest of the whole, `max` characters in all, so two long names still tell apart. Either way
 * with NULs and halves of surrogate pairs replaced (see storable): clipped text goes into ledger
 * rows, which must read back exactly as they were hashed.
 */
export function clip(text: string, max: number = MAX_ECHO): string {
  if (text.length <= max) return storable(text);
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 12);
  const tail = `…[${text.length.toLocaleString("en")} chars, sha256 ${digest}]`;
  return storable(`${text.slice(0, Math.max(0, max - tail.length))}${tail}`);
}

// A NUL, or half of a surrogate pair (what slicing a string can leave), does not survive a
// database's UTF-8 text: SQLite stores U+FFFD instead, PostgreSQL refuses the whole statement.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters to replace
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` as a database gives it back: NULs and lone surrogates become U+FFFD (same length). */
export const storable = (text: string): string => text.replace(UNSTORABLE, "\uFFFD");
