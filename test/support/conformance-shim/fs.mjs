// node:fs with the one function the conformance suite needs from Node 22: globSync, for the
// "**/name" patterns it uses (its results folders). Anything else matches nothing.
import fs from "node:fs";
import { join, relative } from "node:path";

export * from "node:fs";
export default fs;

export function globSync(pattern, opts = {}) {
  const cwd = opts.cwd ?? process.cwd();
  const m = /^\*\*\/([^*/]+)$/.exec(pattern);
  if (!m || !fs.existsSync(cwd)) return [];
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === m[1]) out.push(relative(cwd, p));
    }
  };
  walk(cwd);
  return out;
}
