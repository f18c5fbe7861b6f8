// The architecture review's domain: readers of test and lint output (parse.ts), the ledger watcher
// (ledger-watch.ts), findings across runs (findings.ts), the offline suggestion author and council
// lenses (advice.ts), the report (report.ts) and the --watch schedule (schedule.ts). What the MCP
// tools see of it is the read side of the findings store.
import type { Finding } from "../state/index.js";

export type { Finding };

/** The findings a tool may read: a target's, most recently changed first. */
export interface FindingsReader {
  list(scope: string, limit?: number): Promise<Finding[]>;
}
