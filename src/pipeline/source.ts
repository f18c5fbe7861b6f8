// A YAML source with positions: parses with the yaml package's LineCounter so every problem (syntax,
// zod shape, unknown names) is reported as `file:line: field: what is wrong`.
import type { Node } from "yaml";
import type { z } from "zod";
import { AgovError } from "../util/errors.js";
import { yaml } from "../util/yaml.js";

export type YamlPath = ReadonlyArray<string | number>;

export interface PipelineIssue {
  file: string;
  line: number;
  /** The field, as `stages[2].execute.requires`; empty for the document itself. */
  field: string;
  message: string;
}

export const formatIssue = (i: PipelineIssue) =>
  `${i.file}:${i.line}: ${i.field ? `${i.field}: ` : ""}${i.message}`;

/** A pipeline (or template) that does not load; `details.issues` lists each problem. */
export class PipelineError extends AgovError {
  readonly issues: PipelineIssue[];
  constructor(issues: PipelineIssue[]) {
    super("INVALID_INPUT", issues.map(formatIssue).join("\n"), { issues });
    this.issues = issues;
  }
}

export interface Source {
  file: string;
  value: unknown;
  /** The line of the node at `path` (or of its nearest existing parent); `key` for a map key. */
  line(path: YamlPath, key?: boolean): number;
  issue(path: YamlPath, message: string, key?: boolean): PipelineIssue;
}

/** Alias expansions a document may make (the yaml package's own default). */
const MAX_ALIAS_COUNT = 100;

export function parseSource(text: string, file: string): Source {
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = yaml();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line ?? 1;
    const what = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new PipelineError([{ file, line, field: "", message: `YAML syntax: ${what}` }]);
  }
  const lineOf = (offset: number) => counter.linePos(offset).line;
  let value: unknown;
  try {
    // Aliases that expand into each other (a "billion laughs") are refused, not expanded.
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const why = /alias/i.test((err as Error).message)
      ? `too many aliases (more than ${MAX_ALIAS_COUNT} expansions); write the document out without aliases`
      : (err as Error).message;
    throw new PipelineError([{ file, line: 1, field: "", message: `YAML: ${why}` }]);
  }

  function line(path: YamlPath, key = false): number {
    let node: unknown = doc.contents;
    let at = node && (node as Node).range ? (node as Node).range![0] : 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
        if (!pair) break;
        const keyNode = pair.key as Node;
        if (key && seg === path[path.length - 1]) return lineOf(keyNode.range![0]);
        node = pair.value ?? keyNode;
        at = (pair.value as Node | null)?.range?.[0] ?? keyNode.range![0];
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        node = item;
        at = item.range![0];
      } else break;
    }
    return lineOf(at);
  }

  return {
    file,
    value,
    line,
    issue: (path, message, key) => ({
      file,
      line: line(path, key),
      field: fieldName(path),
      message,
    }),
  };
}

/** `["pipeline", "stages", 2, "execute", "requires"]` → `stages[2].execute.requires`. */
export function fieldName(path: YamlPath): string {
  const rest = path[0] === "pipeline" || path[0] === "template" ? path.slice(1) : path;
  return rest.reduce<string>(
    (s, seg) => (typeof seg === "number" ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg),
    "",
  );
}

/** One issue per zod problem, at the line of the field it is about. */
export function zodIssues(src: Source, base: YamlPath, error: z.ZodError): PipelineIssue[] {
  return error.issues.map((issue) => {
    const path = [...base, ...(issue.path as Array<string | number>)];
    if (issue.code === "unrecognized_keys") {
      const k = issue.keys[0]!;
      const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).join(", ")})` : "";
      return src.issue([...path, k], `unknown field${more}; remove it or check its spelling`, true);
    }
    return src.issue(path, describe(issue, valueAt(src.value, path)));
  });
}

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === "invalid_type") {
    if (value === undefined) return "required";
    return `expected ${issue.expected === "array" ? "a list" : issue.expected}, got ${kind(value)}`;
  }
  if (issue.code === "invalid_value")
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(value)}`;
  return issue.message;
}

function kind(v: unknown): string {
  if (v === null) return "nothing (null)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function valueAt(value: unknown, path: YamlPath): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}
