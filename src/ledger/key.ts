// The ledger key and its anchors live outside the ledger database: a 0600 key file in a 0700
// folder (by default $AGOV_HOME/keys), and beside it an append-only file of signed anchors. Whoever
// can write the database alone can neither re-chain rows nor roll the anchors back unnoticed.
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { AgovError } from "../util/errors.js";
import { privateDir } from "../util/files.js";
import type { Chain } from "./chain.js";
import type { Anchor } from "./index.js";

export const defaultKeyFile = (home: string) => join(home, "keys", "ledger.key");

/** Reads the key file; creates it (atomically, once across processes) when `create` is true. */
export function loadKeyFile(file: string, create: boolean): Buffer | null {
  if (!existsSync(file)) {
    if (!create) return null;
    privateDir(dirname(file));
    // Written aside and linked into place: link fails if another process got there first, and
    // then its key is the one everybody reads.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const text = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new AgovError(
      "UNAVAILABLE",
      `ledger key ${file} is not a 64-digit hex key; restore it from your backup`,
    );
  return Buffer.from(text, "hex");
}

/** Where signed anchors are kept. Every store gets every anchor; verify reads them all. */
export interface AnchorStore {
  readonly name: string;
  append(anchor: Anchor): void | Promise<void>;
  read(): Anchor[] | Promise<Anchor[]>;
}

export function fileAnchors(file: string): AnchorStore {
  return {
    name: file,
    append(anchor) {
      privateDir(dirname(file));
      appendFileSync(file, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    },
    read() {
      if (!existsSync(file)) return [];
      const out: Anchor[] = [];
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          out.push(JSON.parse(line) as Anchor);
        } catch {
          // A torn last line (a crash mid-append) is not an anchor; the ones before it still count.
        }
      }
      return out;
    },
  };
}

/**
 * Signs an anchor of the row `at` and appends it to every store. A store that cannot be written
 * is skipped this time: the next anchor covers the rows it missed.
 */
export function appendAnchor(
  chain: Chain,
  stores: readonly AnchorStore[],
  at: { id: number; entry_hash: string },
  iso: string,
): Anchor {
  const anchor = chain.signAnchor({ row_id: at.id, entry_hash: at.entry_hash, at: iso });
  for (const s of stores) {
    try {
      void Promise.resolve(s.append(anchor)).catch(() => {});
    } catch {
      // Skipped this time, as above.
    }
  }
  return anchor;
}
