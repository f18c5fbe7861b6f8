// Files agov keeps under AGOV_HOME hold tokens' hashes, the audit ledger and its key: folders are
// created 0700 and files 0600, whatever the process umask, so no other local user can read them.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Creates the folder (and missing parents) as 0700. A folder that already exists is left as it
 * is unless `tighten` (AGOV_HOME itself, which is agov's own).
 */
export function privateDir(dir: string, tighten = false): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; chmod is not.
  for (const d of missing) chmodSync(d, 0o700);
  if (tighten) chmodSync(dir, 0o700);
}

/** Creates the file empty as 0600 if it does not exist, in a 0700 folder; tightens it otherwise. */
export function privateFile(file: string): void {
  privateDir(dirname(file));
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}
