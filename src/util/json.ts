// Canonical JSON (sorted keys) and digests, used for the ledger's args_digest and its hash chain,
// and the bounds every caller-supplied JSON value is held to. Arguments arrive from callers, so
// nothing here recurses: a value nested 100,000 deep is walked with an explicit stack, never the
// call stack, and cannot turn a refusal into a crash that leaves no record.
import { createHash } from "node:crypto";

const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|authorization|credential/i;

/**
 * How large a caller's arguments may be. The depth is far beyond any tool's schema (the deepest
 * takes a JSON value of its own) and far below what a recursive walk (zod, JSON.stringify, a
 * handler) survives; the node and character budgets keep one call's work linear and small.
 */
export const JSON_LIMITS = {
  /** Arrays and objects inside one another, the outermost counting as 1. */
  depth: 64,
  /** Values of every kind: objects, arrays, strings, numbers, booleans, nulls. */
  nodes: 100_000,
  /** Characters of all strings and keys together. */
  chars: 1_000_000,
} as const;
export type JsonLimits = { [K in keyof typeof JSON_LIMITS]: number };

/** What is wrong with the value's size, or null when it is within the limits. Never recurses. */
export function jsonBoundsProblem(value: unknown, limits: JsonLimits = JSON_LIMITS): string | null {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let nodes = 0;
  let chars = 0;
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, depth] = item;
    if (++nodes > limits.nodes) return `more than ${limits.nodes.toLocaleString("en")} values`;
    if (typeof v === "string") chars += v.length;
    else if (v !== null && typeof v === "object") {
      if (depth + 1 > limits.depth) return `nested deeper than ${limits.depth} levels`;
      if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
      else
        for (const key of Object.keys(v)) {
          chars += key.length;
          stack.push([(v as Record<string, unknown>)[key], depth + 1]);
        }
    }
    if (chars > limits.chars)
      return `more than ${limits.chars.toLocaleString("en")} characters of strings and keys`;
  }
  return null;
}

export function canonicalJson(value: unknown): string {
  return serialize(value, false);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The digest of a call's arguments, with the values of secret-looking keys redacted at any depth. */
export function argsDigest(args: unknown): string {
  return sha256(serialize(args ?? null, true));
}

/** A piece of output already rendered, or a value still to render. */
type Task = { text: string } | { value: unknown } | { leave: object };

/**
 * JSON with object keys sorted, written from an explicit stack. Like JSON.stringify, it leaves out
 * object members that are undefined or functions and writes them as null in arrays; any other
 * object is written as its own enumerable keys.
 */
function serialize(root: unknown, redact: boolean): string {
  const out: string[] = [];
  const open = new Set<object>();
  const stack: Task[] = [{ value: root }];
  for (let task = stack.pop(); task; task = stack.pop()) {
    if ("text" in task) {
      out.push(task.text);
      continue;
    }
    if ("leave" in task) {
      open.delete(task.leave);
      continue;
    }
    const v = task.value;
    if (v === null || typeof v !== "object") {
      out.push(primitive(v) ?? "null");
      continue;
    }
    if (open.has(v)) throw new TypeError("canonicalJson: the value contains a cycle");
    open.add(v);
    // Pushed in reverse: the stack hands back the last pushed first.
    const parts: Task[] = [];
    if (Array.isArray(v)) {
      parts.push({ text: "[" });
      // Indexes, not forEach: a hole in a sparse array is written as null, as JSON.stringify does.
      for (let i = 0; i < v.length; i++) {
        if (i > 0) parts.push({ text: "," });
        parts.push({ value: v[i] });
      }
      parts.push({ text: "]" });
    } else {
      parts.push({ text: "{" });
      let first = true;
      for (const key of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[key];
        const secret = redact && SECRET_KEY.test(key);
        const left = x === undefined || typeof x === "function" || typeof x === "symbol";
        if (left && !secret) continue;
        parts.push({ text: `${first ? "" : ","}${JSON.stringify(key)}:` });
        parts.push(secret ? { text: '"[redacted]"' } : { value: x });
        first = false;
      }
      parts.push({ text: "}" });
    }
    stack.push({ leave: v });
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
  }
  return out.join("");
}

/** A primitive as JSON.stringify writes it; undefined for what it leaves out. */
function primitive(v: unknown): string | undefined {
  if (typeof v === "function" || typeof v === "symbol" || v === undefined) return undefined;
  return JSON.stringify(v);
}
