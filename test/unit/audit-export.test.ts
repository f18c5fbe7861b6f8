import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { csvCell, EXPORT_COLUMNS } from "../../src/cli/audit-export.js";
import { loadConfig } from "../../src/config/index.js";
import type { LedgerEvent } from "../../src/ledger/index.js";
import { exportWith } from "../support/export.js";

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
const config = () => {
  const home = mkdtempSync(join(tmpdir(), "agov-export-"));
  homes.push(home);
  return loadConfig({ env: { AGOV_HOME: home }, cwd: home });
};
const rows: LedgerEvent[] = [1, 2, 3, 4, 5].map((i) => ({
  kind: "tool_call",
  agent_id: `a${i}`,
  action: i === 3 ? '=HYPERLINK("http://x"), "quoted"' : `call ${i}`,
  decision: "allow",
  detail: { i },
}));

describe("agov audit export", () => {
  it("writes every row oldest first as JSON lines, across pages, hashes included", async () => {
    const lines = await exportWith(config(), { format: "jsonl" }, { page: 2, rows });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.keys(parsed[0]!)).toEqual([...EXPORT_COLUMNS]);
    expect(parsed[1]).toMatchObject({ agent_id: "a2", detail: '{"i":2}', success: 1 });
    expect(parsed[1]!.prev_hash).toBe(parsed[0]!.entry_hash);
  });

  it("writes CSV with a header, quoted cells and formulas defused", async () => {
    const lines = await exportWith(config(), { format: "csv" }, { page: 2, rows });
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(","));
    expect(lines).toHaveLength(6);
    expect(lines[3]).toContain(`"'=HYPERLINK(""http://x""), ""quoted"""`);
    expect(csvCell(null)).toBe("");
    expect(csvCell(-1)).toBe("-1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("a\nb")).toBe('"a\nb"');
  });

  it("refuses a missing or unknown format, and a bad --since", async () => {
    await expect(exportWith(config(), {})).rejects.toThrow(/--format must be jsonl or csv/);
    await expect(exportWith(config(), { format: "xml" })).rejects.toThrow(/got "xml"/);
    await expect(exportWith(config(), { format: "csv", since: "yesterday" })).rejects.toThrow(
      /^audit export: --since must be an ISO time/,
    );
  });
});
