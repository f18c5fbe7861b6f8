// The bug watcher's readers: a command's output in one of the common machine-readable formats
// (JUnit XML — pytest's too —, TAP, vitest/jest JSON, ESLint JSON, Biome JSON) turned into
// observations. Pure functions; the format is recognised from the output itself, so a team needs
// no configuration beyond a reporter flag on its own test and lint commands.

export type ObservationKind = "test" | "lint" | "command" | "ledger";
export type Severity = "low" | "medium" | "high";

/** One failure as a run saw it, before it is matched with what earlier runs saw. */
export interface Observation {
  kind: ObservationKind;
  severity: Severity;
  tool: string;
  title: string;
  message: string;
  file: string | null;
  test: string | null;
  rule: string | null;
  count: number;
  evidence: string[];
}

export type OutputFormat = "junit" | "tap" | "jest-json" | "eslint-json" | "biome-json";

export interface Parsed {
  format: OutputFormat;
  observations: Observation[];
  /** How many tests or files the output covered (so "nothing failed" is told from "nothing ran"). */
  checked: number;
}

/** Reads the output when it is in a known format; null when it is not (or is damaged). */
export function parseOutput(text: string, opts: { root?: string } = {}): Parsed | null {
  const rel = relativeTo(opts.root);
  const json = findJson(text);
  if (json !== undefined) {
    if (Array.isArray(json)) return eslint(json, rel);
    if (isObject(json) && Array.isArray(json.testResults)) return jestLike(json, rel);
    if (isObject(json) && Array.isArray(json.diagnostics)) return biome(json, rel);
  }
  if (/<testsuites?\b|<testcase\b/.test(text)) return junit(text, rel);
  // [ \t]*, not \s*: a run of blank lines would otherwise be rescanned from each of them.
  if (/^TAP version \d+/m.test(text) || /^[ \t]*(not )?ok \d+/m.test(text)) return tap(text, rel);
  return null;
}

type Rel = (file: string | null) => string | null;

function relativeTo(root: string | undefined): Rel {
  return (file) => {
    if (!file) return null;
    let f = file.replace(/^file:\/\//, "").replace(/:\d+(:\d+)?$/, "");
    if (root && f.startsWith(`${root}/`)) f = f.slice(root.length + 1);
    return f;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Lines that open a brace or bracket tried as the start of the document: a banner has a few, and
 * each try parses the rest of the output, so an output of many such lines is not tried from each.
 */
export const JSON_STARTS_TRIED = 16;

/** The JSON document in an output that may carry other lines first (npm's script banner). */
function findJson(text: string): unknown {
  let tried = 0;
  for (let at = 0; at < text.length && tried < JSON_STARTS_TRIED; ) {
    const next = text.indexOf("\n", at);
    const end = next === -1 ? text.length : next;
    const c = text.slice(at, Math.min(end, at + 200)).trimStart()[0];
    if (c === "{" || c === "[") {
      tried++;
      try {
        return JSON.parse(text.slice(at));
      } catch {
        // Not the document (or not all of it); try from the next line that opens one.
      }
    }
    at = end + 1;
  }
  return undefined;
}

/** The first line of a failure message: the assertion, not its stack. */
export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ""
  ).slice(0, 500);
}

function eslint(files: unknown[], rel: Rel): Parsed {
  const out: Observation[] = [];
  for (const f of files) {
    if (!isObject(f) || !Array.isArray(f.messages)) continue;
    for (const m of f.messages) {
      if (!isObject(m)) continue;
      const rule = str(m.ruleId);
      const message = str(m.message) ?? "";
      out.push({
        kind: "lint",
        severity: m.severity === 2 ? "medium" : "low",
        tool: "eslint",
        title: `${rule ?? "lint"} in ${rel(str(f.filePath)) ?? "?"}`,
        message,
        file: rel(str(f.filePath)),
        test: null,
        rule,
        count: 1,
        evidence: [],
      });
    }
  }
  return { format: "eslint-json", observations: merge(out), checked: files.length };
}

function biome(doc: Record<string, unknown>, rel: Rel): Parsed {
  const out: Observation[] = [];
  for (const d of doc.diagnostics as unknown[]) {
    if (!isObject(d)) continue;
    const loc = isObject(d.location) ? d.location : {};
    // Biome 2 names the file as a string; Biome 1 as { file }.
    const path = str(loc.path) ?? (isObject(loc.path) ? str(loc.path.file) : null);
    const rule = str(d.category);
    const sev = str(d.severity);
    out.push({
      kind: "lint",
      severity: sev === "error" || sev === "fatal" ? "medium" : "low",
      tool: "biome",
      title: `${rule ?? "lint"} in ${rel(path) ?? "?"}`,
      message: str(d.message) ?? str(d.description) ?? "",
      file: rel(path),
      test: null,
      rule,
      count: 1,
      evidence: [],
    });
  }
  const summary = isObject(doc.summary) ? doc.summary : {};
  const checked = Number(summary.unchanged ?? 0) + Number(summary.changed ?? 0);
  return { format: "biome-json", observations: merge(out), checked };
}

function jestLike(doc: Record<string, unknown>, rel: Rel): Parsed {
  const out: Observation[] = [];
  let checked = 0;
  for (const file of doc.testResults as unknown[]) {
    if (!isObject(file)) continue;
    const name = rel(str(file.name) ?? str(file.testFilePath));
    const results = Array.isArray(file.assertionResults) ? file.assertionResults : [];
    checked += results.length;
    for (const a of results) {
      if (!isObject(a) || a.status !== "failed") continue;
      const title = str(a.fullName) ?? str(a.title) ?? "?";
      const msgs = Array.isArray(a.failureMessages) ? a.failureMessages : [];
      out.push(testFailure("vitest/jest", name, title, firstLine(str(msgs[0]) ?? "")));
    }
    // A file that failed before any test ran (a syntax error, a failed import).
    if (results.length === 0 && file.status === "failed")
      out.push(testFailure("vitest/jest", name, "(file)", firstLine(str(file.message) ?? "")));
  }
  return { format: "jest-json", observations: out, checked };
}

function testFailure(tool: string, file: string | null, test: string, message: string) {
  return {
    kind: "test" as const,
    severity: "high" as const,
    tool,
    title: `test "${test}" fails${file ? ` in ${file}` : ""}`,
    message,
    file,
    test,
    rule: null,
    count: 1,
    evidence: [],
  };
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/g, (whole, e: string) => {
    if (!e.startsWith("#")) return ENTITIES[e]!;
    const code = e.startsWith("#x") ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
    // A reference to no character (past U+10FFFF) stays as it was written.
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  // A name starts where no name character precedes it, so each is tried once (linear time).
  for (const m of s.matchAll(/(?<![\w:.-])([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
    out[m[1]!] = unescapeXml(m[2] ?? m[3] ?? "");
  return out;
}

/** Where the tag whose attributes start at `from` ends (its `>`, outside quoted values), or -1. */
function tagEnd(s: string, from: number): number {
  let quote = "";
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return i;
  }
  return -1;
}

/** An element found by a linear scan: its attributes and (unless it closes itself) its text. */
function element(s: string, name: RegExp): { tag: string; attrs: string; inner: string } | null {
  const m = name.exec(s);
  if (!m) return null;
  const from = m.index + m[0].length;
  const end = tagEnd(s, from);
  if (end < 0) return { tag: m[1]!, attrs: s.slice(from), inner: "" };
  if (s[end - 1] === "/") return { tag: m[1]!, attrs: s.slice(from, end - 1), inner: "" };
  const close = s.indexOf(`</${m[1]}>`, end + 1);
  return {
    tag: m[1]!,
    attrs: s.slice(from, end),
    inner: s.slice(end + 1, close < 0 ? s.length : close),
  };
}

function withoutComments(s: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = s.indexOf("<!--", at);
    if (open < 0) return out + s.slice(at);
    out += s.slice(at, open);
    const close = s.indexOf("-->", open + 4);
    if (close < 0) return out;
    at = close + 3;
  }
}

/**
 * The JUnit subset every producer writes: <testcase> with <failure>/<error>/<skipped> inside. Read
 * by scanning, not by backtracking patterns: the output is the reviewed repository's, and a huge,
 * truncated or hostile one must cost linear time.
 */
function junit(text: string, rel: Rel): Parsed {
  const out: Observation[] = [];
  let checked = 0;
  const cases = withoutComments(text).split(/(?=<testcase\b)/);
  for (const part of cases) {
    const testcase = element(part, /^<(testcase)\b/);
    if (!testcase) continue;
    checked++;
    const attrs = attributes(testcase.attrs);
    const fail = element(testcase.inner, /<(failure|error)\b/);
    if (!fail) continue;
    const fa = attributes(fail.attrs);
    const message = fa.message ?? firstLine(unescapeXml(fail.inner));
    const name = attrs.name ?? "?";
    const cls = attrs.classname;
    // pytest names the module in classname; node:test writes "test" there.
    const test = cls && cls !== "test" ? `${cls}.${name}` : name;
    out.push(testFailure("junit", rel(attrs.file ?? null), test, firstLine(message)));
  }
  return { format: "junit", observations: out, checked };
}

/** TAP 13/14: `not ok` lines, with the YAML diagnostic block that follows for the message. */
function tap(text: string, rel: Rel): Parsed {
  const out: Observation[] = [];
  const lines = text.split("\n");
  let checked = 0;
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(not )?ok \d+(?: -)?\s*(.*)$/.exec(lines[i]!.trimEnd());
    if (!m) continue;
    checked++;
    const directive = /#\s*(skip|todo)\b/i.test(m[3]!);
    if (!m[2] || directive) continue;
    const indent = m[1]!.length;
    const yaml: Record<string, string> = {};
    if (lines[i + 1]?.trim() === "---") {
      // A block ends at "..."; one never closed is read for at most 200 lines.
      const last = Math.min(lines.length, i + 202);
      for (let j = i + 2; j < last && lines[j]!.trim() !== "..."; j++) {
        const kv = /^\s*([A-Za-z_]+):\s*(.*)$/.exec(lines[j]!);
        if (kv && lines[j]!.length - lines[j]!.trimStart().length === indent + 2)
          yaml[kv[1]!] = kv[2]!.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
      }
    }
    // A parent whose subtests failed says only that; the subtests are the findings.
    if (yaml.failureType === "subtestsFailed") continue;
    const message = yaml.error ?? yaml.message ?? "failed";
    // What follows an unescaped "#" is a directive or comment (a time, say), not the name: left
    // in, the same test would be another finding in every run.
    const name = m[3]!
      .replace(/(^|[^\\])#.*$/, "$1")
      .trim()
      .replace(/\\#/g, "#");
    out.push(testFailure("tap", rel(yaml.location ?? yaml.file ?? null), name, message));
  }
  return { format: "tap", observations: out, checked };
}

/** Lint messages of one rule in one file are one finding, counted. */
function merge(obs: Observation[]): Observation[] {
  const by = new Map<string, Observation>();
  for (const o of obs) {
    const key = `${o.file}\u0000${o.rule}\u0000${o.message}`;
    const seen = by.get(key);
    if (seen) seen.count++;
    else by.set(key, { ...o });
  }
  return [...by.values()];
}
