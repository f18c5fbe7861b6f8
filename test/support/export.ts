// Runs `agov audit export` in-process against a configuration and collects what it prints.

import type { Parsed } from "../../src/cli/args.js";
import { exportRows } from "../../src/cli/audit-export.js";
import type { AUDIT_EXPORT } from "../../src/cli/commands.js";
import { createCliContext } from "../../src/cli/context.js";
import type { Config } from "../../src/config/index.js";
import type { LedgerEvent } from "../../src/ledger/index.js";

export async function exportWith(
  config: Config,
  values: { format?: string; since?: string },
  opts: { page?: number; rows?: LedgerEvent[] } = {},
): Promise<string[]> {
  const lines: string[] = [];
  const ctx = createCliContext(config, { out: (t) => lines.push(...t.split("\n")), err: () => {} });
  try {
    const rt = await ctx.runtime();
    for (const row of opts.rows ?? []) await rt.ledger.record(row, { success: true });
    const args = { values, positionals: [] } as unknown as Parsed<typeof AUDIT_EXPORT>;
    await exportRows(args, ctx, opts.page);
  } finally {
    await ctx.close();
  }
  return lines;
}
