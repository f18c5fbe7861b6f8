// What one command of a review run said: its output read in whichever known format it is in, or,
// when it failed without readable output, one finding saying so; and a line for the report.
import type { SourceCheck } from "./findings.js";
import { firstLine, type Observation, parseOutput } from "./parse.js";

export interface CheckNote {
  source: string;
  checked: boolean;
  format: string | null;
  note: string;
}

export interface CommandOutput {
  exit_code: number | null;
  timed_out: boolean;
  stdout: string;
  stderr: string;
  error: string | null;
}

/** What one command's output says: its failures, or that it failed in a way nobody can read. */
export function readCommand(
  source: string,
  out: CommandOutput,
  root: string,
): { check: SourceCheck; note: CheckNote } {
  if (out.error || out.timed_out) {
    const why = out.error ?? "timed out";
    return {
      check: { source, checked: false, complete: false, observations: [] },
      note: { source, checked: false, format: null, note: why },
    };
  }
  const parsed = parseOutput(out.stdout, { root }) ?? parseOutput(out.stderr, { root });
  const observations: Observation[] = [...(parsed?.observations ?? [])];
  if (observations.length === 0 && out.exit_code !== 0)
    observations.push({
      kind: "command",
      severity: "medium",
      tool: source.split(" ")[0] ?? source,
      title: `"${source}" exits with ${out.exit_code}`,
      message: `exits with ${out.exit_code}${parsed ? "" : " and no output agov can read"}`,
      file: null,
      test: null,
      rule: null,
      count: 1,
      evidence: [],
    });
  const tail = firstLine(out.stderr.split("\n").slice(-5).join("\n"));
  return {
    check: {
      source,
      checked: true,
      complete: parsed !== null && parsed.checked > 0,
      observations,
    },
    note: {
      source,
      checked: true,
      format: parsed?.format ?? null,
      note: parsed
        ? `${parsed.checked} checked, ${parsed.observations.length} failing (exit ${out.exit_code})`
        : `exit ${out.exit_code}; output in no known format${tail && out.exit_code !== 0 ? ` (${tail.slice(0, 200)})` : ""}`,
    },
  };
}
