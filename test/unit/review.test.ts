// The architecture review's pure parts: the output readers on real outputs (node:test's JUnit and
// TAP reporters, vitest's JSON reporter, pytest's --junitxml and Biome's JSON reporter, captured
// from those tools; ESLint's JSON format as its documentation gives it, no ESLint being installed
// here), the fingerprints, reconciling runs, the ledger watcher and the --watch schedule.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { ActionRow } from "../../src/ledger/index.js";
import { offlineBallot, offlineSuggestion } from "../../src/review/advice.js";
import { readCommand } from "../../src/review/checks.js";
import {
  fingerprint,
  normalizeMessage,
  reconcile,
  type SourceCheck,
} from "../../src/review/findings.js";
import { LEDGER_FINDINGS_MAX, watchLedger } from "../../src/review/ledger-watch.js";
import { JSON_STARTS_TRIED, type Observation, parseOutput } from "../../src/review/parse.js";
import { type ReviewReport, renderMarkdown } from "../../src/review/report.js";
import { everyInterval } from "../../src/review/schedule.js";
import type { Finding } from "../../src/state/records.js";

/** The tools the server has, as the watcher is told them. */
const KNOWN = new Set(["lock_acquire", "blackboard_post"]);

const sample = (name: string) =>
  readFileSync(join(import.meta.dirname, "../fixtures/review-samples", name), "utf8");

describe("review output readers", () => {
  it("reads node:test's JUnit XML, behind npm's banner", () => {
    const p = parseOutput(
      `\n> fixture@1.0.0 test\n> node --test\n\n${sample("node-test-junit.xml")}`,
    );
    expect(p).toMatchObject({ format: "junit", checked: 2 });
    expect(p!.observations).toEqual([
      expect.objectContaining({ kind: "test", test: "adds", message: "2 == 3", severity: "high" }),
    ]);
  });

  it("reads pytest's JUnit XML: module in the test name, entities decoded, skips are no failure", () => {
    const p = parseOutput(sample("pytest-junit.xml"));
    expect(p).toMatchObject({ format: "junit", checked: 3 });
    expect(p!.observations).toHaveLength(1);
    expect(p!.observations[0]).toMatchObject({
      test: "tests.test_calc.test_add",
      message: "assert -1 == 1",
    });
  });

  it("reads TAP with its YAML block, the file made relative to the root", () => {
    const p = parseOutput(sample("node-test.tap"), { root: "/tmp/jt" });
    expect(p).toMatchObject({ format: "tap", checked: 2 });
    expect(p!.observations).toEqual([
      expect.objectContaining({ test: "adds", message: "2 == 3", file: "a.test.mjs" }),
    ]);
  });

  it("reads vitest's JSON reporter: the failed assertion, its first line only", () => {
    const p = parseOutput(sample("vitest.json"), { root: "/tmp/jt2" });
    expect(p).toMatchObject({ format: "jest-json", checked: 2 });
    expect(p!.observations).toEqual([
      expect.objectContaining({
        test: "sums",
        file: "s.test.mjs",
        message: "AssertionError: expected 2 to be 3 // Object.is equality",
      }),
    ]);
  });

  it("reads ESLint's JSON: one finding per rule, file and message, counted; warnings are low", () => {
    const p = parseOutput(sample("eslint.json"), { root: "/repo" });
    expect(p).toMatchObject({ format: "eslint-json", checked: 2 });
    expect(p!.observations).toEqual([
      expect.objectContaining({
        rule: "no-unused-vars",
        file: "src/a.js",
        count: 2,
        severity: "medium",
      }),
      expect.objectContaining({ rule: "semi", file: "src/a.js", count: 1, severity: "low" }),
    ]);
  });

  it("reads Biome's JSON reporter", () => {
    const p = parseOutput(sample("biome-lint.json"));
    expect(p).toMatchObject({ format: "biome-json", checked: 1 });
    expect(p!.observations.map((o) => [o.rule, o.file, o.tool])).toEqual([
      ["lint/suspicious/noDoubleEquals", "x.js", "biome"],
      ["lint/suspicious/noDebugger", "x.js", "biome"],
    ]);
  });

  it("reads hostile or truncated JUnit without failing: no-character references, '>' in values, no closing tags", () => {
    const xml = [
      "<testsuite><!-- a comment <testcase name='hidden'><failure/></testcase> -->",
      `<testcase name="big" classname="test"><failure message="1 > 0 &#99999999999; &#x41;"/></testcase>`,
      `<testcase name="cut"><failure>first line`,
      "<testcase name='open' <testcase name='passes'/>",
    ].join("\n");
    const parsed = parseOutput(xml);
    expect(parsed?.format).toBe("junit");
    expect(parsed?.observations.map((o) => [o.test, o.message])).toEqual([
      ["big", "1 > 0 &#99999999999; A"],
      ["cut", "first line"],
    ]);
    expect(parsed?.checked).toBe(4);
  });

  it("reads a TAP diagnostic block that never closes as at most 200 lines", () => {
    const lines = ["TAP version 13", "not ok 1 - first", "  ---", "  message: 'boom'"];
    for (let i = 0; i < 300; i++) lines.push(`  filler${i}: x`);
    lines.push("  error: 'too far to count'", "not ok 2 - second   ");
    const parsed = parseOutput(lines.join("\n"));
    expect(parsed?.observations.map((o) => [o.test, o.message])).toEqual([
      ["first", "boom"],
      ["second", "failed"],
    ]);
  });

  // Outputs of up to the command's max_output (16 MiB) are read, so no line is read from again
  // and again: a banner's lines that only look like JSON are each tried as the document once, up
  // to a bound, and blank lines are not rescanned looking for TAP.
  it("tries a bounded number of lines as the start of a JSON document", () => {
    const parse = vi.spyOn(JSON, "parse");
    try {
      expect(parseOutput("{\n".repeat(20_000))).toBeNull();
      expect(parse.mock.calls.length).toBeLessThanOrEqual(JSON_STARTS_TRIED);
    } finally {
      parse.mockRestore();
    }
    // The document after a banner of lines that only look like JSON is still found.
    const doc = { testResults: [], numTotalTests: 0 };
    expect(parseOutput(`{ not json\n[also not\n${JSON.stringify(doc)}`)?.format).toBe("jest-json");
  });

  it("finds TAP after many blank lines, and nothing in blank lines alone", () => {
    expect(parseOutput(`x\n${"\n".repeat(20_000)}`)).toBeNull();
    const tap = parseOutput(`${"  \t\n".repeat(20_000)}not ok 1 - at the end`);
    expect(tap?.format).toBe("tap");
    expect(tap?.observations.map((o) => o.test)).toEqual(["at the end"]);
  });

  it("names a TAP test without its trailing comment, so a run's timing is not part of it", () => {
    const a = parseOutput(
      "TAP version 13\nnot ok 1 - adds # time=12.5ms\nnot ok 2 - a \\# b # x\n",
    );
    const b = parseOutput("TAP version 13\nnot ok 1 - adds # time=340ms\n");
    expect(a?.observations.map((o) => o.test)).toEqual(["adds", "a # b"]);
    expect(fingerprint(a!.observations[0]!, "npm test")).toBe(
      fingerprint(b!.observations[0]!, "npm test"),
    );
  });

  it("says null for output in no known format, and for damaged JSON", () => {
    expect(parseOutput("Error: cannot find module 'x'\n")).toBeNull();
    expect(parseOutput('{"testResults": [')).toBeNull();
  });
});

describe("reading a command's output", () => {
  const out = (over: Partial<Parameters<typeof readCommand>[1]>) => ({
    exit_code: 0,
    timed_out: false,
    stdout: "",
    stderr: "",
    error: null,
    ...over,
  });

  it("makes one finding of a command that fails with nothing readable", () => {
    const r = readCommand(
      "npm run lint",
      out({ exit_code: 1, stderr: 'npm error Missing script: "lint"' }),
      "/r",
    );
    expect(r.check.checked).toBe(true);
    expect(r.check.observations).toEqual([
      expect.objectContaining({ kind: "command", title: '"npm run lint" exits with 1' }),
    ]);
    expect(r.note.note).toContain('Missing script: "lint"');
  });

  it("checks a passing command in no known format, and finds nothing in it", () => {
    const r = readCommand("npm run check", out({ stdout: "Checked 3 files" }), "/r");
    expect(r.check).toEqual({
      source: "npm run check",
      checked: true,
      complete: false,
      observations: [],
    });
  });

  it("resolves a test finding only when the tests' output was read again, not when they crash", () => {
    const failing = sample("node-test-junit.xml");
    const passing =
      '<testsuites><testsuite><testcase name="add sums two numbers"/></testsuite></testsuites>';
    const runOf = (n: number) => ({ scope: "/r", run_id: `r${n}`, now: n });
    const step = (stored: Finding[], o: Partial<Parameters<typeof readCommand>[1]>, n: number) =>
      reconcile(stored, [readCommand("npm test", out(o), "/r").check], runOf(n));
    const first = step([], { exit_code: 1, stdout: failing }, 1);
    const tests = first.filter((r) => r.finding.kind === "test").map((r) => r.finding.fingerprint);
    expect(tests.length).toBeGreaterThan(0);
    // The runner crashes before reporting anything: the tests are not fixed, only unknown.
    const crashed = step(
      first.map((r) => r.finding),
      { exit_code: 1, stderr: "Segmentation fault" },
      2,
    );
    for (const fp of tests)
      expect(crashed.find((r) => r.finding.fingerprint === fp)).toMatchObject({
        change: "unchanged",
        finding: { status: "open" },
      });
    const crash = crashed.find((r) => r.finding.kind === "command");
    expect(crash?.change).toBe("new");
    // Exit 0 with output in no known format (a reporter left out) says nothing of the tests either.
    const silent = step(
      crashed.map((r) => r.finding),
      { exit_code: 0, stdout: "all good" },
      3,
    );
    for (const fp of tests)
      expect(silent.find((r) => r.finding.fingerprint === fp)?.finding.status).toBe("open");
    // ...but it does say the command no longer fails.
    expect(silent.find((r) => r.finding.kind === "command")?.change).toBe("resolved");
    // Read again and passing: now the tests' findings are resolved.
    const fixed = step(
      silent.map((r) => r.finding),
      { exit_code: 0, stdout: passing },
      4,
    );
    for (const fp of tests)
      expect(fixed.find((r) => r.finding.fingerprint === fp)?.change).toBe("resolved");
  });

  it("does not count a command that timed out or could not start as read", () => {
    expect(
      readCommand("npm test", out({ timed_out: true, exit_code: null }), "/r").check.checked,
    ).toBe(false);
    expect(
      readCommand("npm test", out({ error: "npm is not installed here" }), "/r").note.note,
    ).toBe("npm is not installed here");
  });
});

const obs = (over: Partial<Observation> = {}): Observation => ({
  kind: "test",
  severity: "high",
  tool: "junit",
  title: 'test "adds" fails',
  message: "2 == 3",
  file: "test/a.test.js",
  test: "adds",
  rule: null,
  count: 1,
  evidence: [],
  ...over,
});

describe("fingerprints", () => {
  it("are the same for the same failure at another line, path, time or duration", () => {
    const a = obs({
      message: "expected 2 at /tmp/x1/src/a.js:10:5 after 12ms (2026-11-26T10:00:00Z)",
    });
    const b = obs({
      message: "expected 2 at /tmp/y2/src/a.js:14:1 after 340ms (2026-11-27T11:30:00Z)",
    });
    expect(fingerprint(a, "npm test")).toBe(fingerprint(b, "npm test"));
    expect(normalizeMessage(a.message)).toBe("expected 2 at a.js after <duration> (<time>)");
  });

  it("differ for another test, rule, file or assertion", () => {
    const base = fingerprint(obs(), "npm test");
    expect(fingerprint(obs({ test: "subtracts" }), "npm test")).not.toBe(base);
    expect(fingerprint(obs({ file: "test/b.test.js" }), "npm test")).not.toBe(base);
    expect(fingerprint(obs({ message: "2 == 4" }), "npm test")).not.toBe(base);
    expect(fingerprint(obs({ kind: "lint", rule: "eqeqeq" }), "npm test")).not.toBe(base);
  });
});

describe("reconciling a run with stored findings", () => {
  const run = (n: number) => ({ scope: "/repo", run_id: `r${n}`, now: n * 1000 });
  const checks = (...o: Observation[]): SourceCheck[] => [
    { source: "npm test", checked: true, complete: true, observations: o },
  ];

  it("tells new, unchanged, worsened, resolved and reopened apart", () => {
    const first = reconcile([], checks(obs()), run(1));
    expect(first.map((r) => r.change)).toEqual(["new"]);
    const stored = first.map((r) => r.finding);
    const same = reconcile(stored, checks(obs()), run(2));
    expect(same).toMatchObject([
      { change: "unchanged", finding: { occurrences: 2, first_seen: 1000, last_seen: 2000 } },
    ]);
    const worse = reconcile(stored, checks(obs({ count: 3 })), run(3));
    expect(worse[0]!.change).toBe("worsened");
    const gone = reconcile(stored, checks(), run(4));
    expect(gone).toMatchObject([
      { change: "resolved", finding: { status: "resolved", resolved_at: 4000 } },
    ]);
    const back = reconcile([gone[0]!.finding], checks(obs()), run(5));
    expect(back).toMatchObject([
      { change: "reopened", finding: { status: "open", resolved_at: null } },
    ]);
  });

  it("never resolves a finding of a source that could not be read this run", () => {
    const stored = reconcile([], checks(obs()), run(1)).map((r) => r.finding);
    const unread = reconcile(
      stored,
      [{ source: "npm test", checked: false, complete: false, observations: [] }],
      run(2),
    );
    expect(unread).toMatchObject([
      { change: "unchanged", finding: { status: "open", run_id: "r1" } },
    ]);
  });
});

const row = (id: number, over: Partial<ActionRow>): ActionRow =>
  ({
    id,
    timestamp: "2026-11-26 10:00:00",
    kind: "tool_call",
    agent_id: "a",
    agent_version: null,
    tier: 1,
    action: "call",
    decision: "allow",
    confidence: null,
    success: 1,
    error_type: null,
    error_reason: null,
    error_message: null,
    tool: "lock_acquire",
    session_id: null,
    args_digest: null,
    latency_us: null,
    detail: null,
    prev_hash: "",
    entry_hash: "",
    hash: "",
    ...over,
  }) as ActionRow;

describe("the ledger watcher", () => {
  it("makes a finding of a tool failing with one code N times, with the rows as evidence", () => {
    const rows = [1, 2, 3].map((id) => row(id, { success: 0, error_type: "CONFLICT" }));
    expect(watchLedger(rows.slice(0, 2), { minRepeats: 3, tools: KNOWN })).toEqual([]);
    expect(watchLedger(rows, { minRepeats: 3, tools: KNOWN })).toEqual([
      expect.objectContaining({
        kind: "ledger",
        tool: "lock_acquire",
        rule: "CONFLICT",
        count: 3,
        evidence: ["1", "2", "3"],
      }),
    ]);
  });

  it("makes a finding of any refusal and any revocation, and ignores command rows", () => {
    const found = watchLedger(
      [
        row(1, { decision: "deny", error_type: "DENIED", error_reason: "TOOL_NOT_GRANTED" }),
        row(2, {
          kind: "revocation",
          tool: null,
          error_type: "REVOKED",
          error_reason: "MISSING_ARTIFACT",
        }),
        row(3, { kind: "command", success: 0, error_type: "FAILED" }),
        row(4, { kind: "command", success: 0, error_type: "FAILED" }),
        row(5, { kind: "command", success: 0, error_type: "FAILED" }),
      ],
      { minRepeats: 3, tools: KNOWN },
    );
    expect(found.map((o) => [o.title, o.severity, o.evidence])).toEqual([
      ["agents revoked: MISSING_ARTIFACT", "high", ["2"]],
      ["calls to lock_acquire refused: TOOL_NOT_GRANTED", "medium", ["1"]],
    ]);
  });
});

describe("the ledger watcher under a hostile caller", () => {
  it("names no tool the server does not have: calls to made-up names are one finding", () => {
    const rows = [1, 2, 3, 4, 5, 6].map((id) =>
      row(id, {
        success: 0,
        error_type: "NOT_FOUND",
        tool: id % 2 ? `![x](https://evil.example/${id}.png)` : `@everyone-${id}`,
      }),
    );
    const found = watchLedger(rows, { minRepeats: 3, tools: KNOWN });
    expect(found).toEqual([
      expect.objectContaining({ tool: "(unknown tool)", count: 6, rule: "NOT_FOUND" }),
    ]);
    expect(JSON.stringify(found)).not.toMatch(/evil|everyone/);
  });

  it("keeps at most the worst 100 of a flood of findings", () => {
    const tools = new Set(Array.from({ length: 300 }, (_, i) => `tool_${i}`));
    const rows = [...tools].map((tool, i) =>
      row(i + 1, {
        tool,
        decision: "deny",
        error_type: "DENIED",
        error_reason: "TOOL_NOT_GRANTED",
      }),
    );
    rows.push(
      row(999, {
        kind: "revocation",
        tool: null,
        error_type: "REVOKED",
        error_reason: "LIFECYCLE_VIOLATION",
      }),
    );
    const found = watchLedger(rows, { minRepeats: 3, tools });
    expect(found).toHaveLength(LEDGER_FINDINGS_MAX);
    // The revocation (high) is kept over the refusals (medium).
    expect(found[0]).toMatchObject({ title: "agents revoked: LIFECYCLE_VIOLATION" });
  });
});

describe("the report's Markdown", () => {
  it("renders what the reviewed code and the model wrote as text: no links, images, mentions or HTML", () => {
    const hostile =
      "x](https://evil.example) ![p](https://evil.example/p.png) <img src=x> @team `tick` *bold* | pipe";
    const f = {
      ...reconcile(
        [],
        [
          {
            source: "npm test",
            checked: true,
            complete: true,
            observations: [obs({ test: hostile, message: hostile, title: hostile })],
          },
        ],
        { scope: "/r", run_id: "r1", now: 1 },
      )[0]!.finding,
      change: "new" as const,
    };
    const md = renderMarkdown({
      target: "/r",
      run_id: "r1",
      pipeline: "architecture-review",
      status: "succeeded",
      at: "2026-11-26T00:00:00Z",
      model: "offline",
      summary: {
        new: 1,
        worsened: 0,
        reopened: 0,
        unchanged: 0,
        resolved: 0,
        open: 1,
        reviewed: 1,
        accepted: 1,
        rejected: 0,
        waiting_gate: 0,
      },
      checks: [{ source: "npm test", checked: true, format: "junit", note: hostile }],
      findings: [f],
      reviews: [
        {
          proposal_id: "p1",
          suggestion: { ...offlineSuggestion(f, "new"), what: hostile, why: hostile },
          status: "accepted",
          reason: "all voted",
          gate: false,
          votes: [{ agent: "ALPHA", lens: "correctness", vote: "accept", reasoning: hostile }],
          dissent: [],
        },
      ],
      deferred: 0,
      gate: null,
      stages: [],
    } as unknown as ReviewReport);
    // Every Markdown-active character of the hostile text arrives escaped; the text is all there.
    expect(md).not.toMatch(
      /(?<!\\)\]\(|(?<!\\)!(?<!\\)\[|<img|(?<!\u200b)@team|(?<!\\)\*bold|(?<!\\)`tick/,
    );
    expect(md).toContain("&lt;img src=x&gt;");
    expect(md).toContain("evil.example");
  });
});

describe("suggestions and council lenses (offline)", () => {
  it("are deterministic, say they are placeholders, and differ by lens", () => {
    const [r] = reconcile(
      [],
      [{ source: "npm test", checked: true, complete: true, observations: [obs()] }],
      {
        scope: "/repo",
        run_id: "r1",
        now: 1,
      },
    );
    const s = offlineSuggestion(r!.finding, "new");
    expect(offlineSuggestion(r!.finding, "new")).toEqual(s);
    expect(s.note).toMatch(/deterministic placeholder/);
    expect(s.evidence).toMatchObject({ finding: r!.finding.fingerprint, source: "npm test" });
    const arch = { ...s, kind: "architecture" as const, risk: "high" as const };
    expect(offlineBallot("BETA", s).vote).toBe("ACCEPT");
    expect(offlineBallot("BETA", arch).vote).toBe("ABSTAIN");
    const bare = { ...s, evidence: { ...s.evidence, message: "", ledger_rows: [] } };
    expect(offlineBallot("ALPHA", bare).vote).toBe("REJECT");
  });
});

describe("--watch schedule", () => {
  it("reviews at once, then after each interval, until stopped; a failed run does not end it", async () => {
    const stop = new AbortController();
    const slept: number[] = [];
    const log: string[] = [];
    let n = 0;
    const runs = await everyInterval({
      intervalMs: 600_000,
      signal: stop.signal,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 3) stop.abort();
      },
      run: async () => {
        n++;
        log.push(`run ${n}`);
        if (n === 2) throw new Error("boom");
      },
      onError: (err) => log.push(`error ${(err as Error).message}`),
    });
    expect(runs).toBe(3);
    expect(slept).toEqual([600_000, 600_000, 600_000]);
    expect(log).toEqual(["run 1", "run 2", "error boom", "run 3"]);
  });
});
