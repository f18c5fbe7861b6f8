// Canonical JSON and the bounds on callers' JSON: the same output as before for what the ledger
// already holds, and no recursion for what a hostile caller sends.
import { describe, expect, it } from "vitest";
import { argsDigest, canonicalJson, JSON_LIMITS, jsonBoundsProblem } from "../../src/util/json.js";
import { blackboardPost } from "../../tools/blackboard/post.js";

function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** The recursive canonical form the ledger's existing rows were hashed with. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

describe("canonical JSON", () => {
  it("writes what the recursive form wrote for rows and nested values", () => {
    const samples: unknown[] = [
      { id: 3, timestamp: "2025-01-01T00:00:00.000Z", agent_id: "a", tier: null, success: true },
      { b: [1, "two", { d: null, c: [true, false] }], a: { z: 1.5, y: -0 }, é: '\u2028"\\' },
      [undefined, () => 1, { skip: undefined, fn: () => 2, keep: 1 }],
      // biome-ignore lint/suspicious/noSparseArray: a hole is written as null
      [1, , 3],
      "plain",
      42,
      null,
      [],
      {},
    ];
    for (const v of samples) expect(canonicalJson(v)).toBe(JSON.stringify(sortKeys(v)));
  });

  it("digests arguments nested 100,000 deep without overflowing the stack", () => {
    const digest = argsDigest({ value: nested(100_000) });
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toBe(argsDigest({ value: nested(99_999) }));
  });

  it("redacts secret-looking keys at any depth", () => {
    expect(argsDigest({ a: [{ api_key: "one" }] })).toBe(argsDigest({ a: [{ api_key: "two" }] }));
    expect(argsDigest({ a: [{ note: "one" }] })).not.toBe(argsDigest({ a: [{ note: "two" }] }));
  });

  it("keeps a __proto__ key a caller sent in the digest", () => {
    const sent = JSON.parse('{"__proto__": {"x": 1}, "a": 1}');
    expect(argsDigest(sent)).not.toBe(argsDigest({ a: 1 }));
  });

  it("refuses a cycle instead of looping", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe("bounds on a caller's JSON", () => {
  it("names the bound a value breaks", () => {
    expect(jsonBoundsProblem({ v: nested(JSON_LIMITS.depth - 1) })).toBeNull();
    expect(jsonBoundsProblem({ v: nested(JSON_LIMITS.depth) })).toBe(
      "nested deeper than 64 levels",
    );
    expect(jsonBoundsProblem(nested(1_000_000))).toBe("nested deeper than 64 levels");
    expect(jsonBoundsProblem(Array.from({ length: 100_000 }, () => 0))).toBe(
      "more than 100,000 values",
    );
    expect(jsonBoundsProblem(Array.from({ length: 99_999 }, () => 0))).toBeNull();
    expect(jsonBoundsProblem({ ["k".repeat(600_000)]: "v".repeat(400_001) })).toBe(
      "more than 1,000,000 characters of strings and keys",
    );
    expect(jsonBoundsProblem({ ["k".repeat(600_000)]: "v".repeat(400_000) })).toBeNull();
  });
});

describe("a tool's JSON field", () => {
  it("refuses a value nested 100,000 deep without overflowing the stack", () => {
    const r = blackboardPost.input.safeParse({
      task_id: "t",
      section: "progress",
      key: "k",
      value: nested(100_000),
      expected_version: 0,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/nested at most 64 deep/);
  });
});
