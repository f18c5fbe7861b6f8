// What a client reads about each tool's input: every property (at every depth) says what it is,
// so a person or a model filling in a call never has to guess from a name.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TOOLS } from "../../tools/index.js";

type Schema = {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
};

/** Every property path of a JSON Schema, with its own schema. */
function properties(s: Schema, path = ""): Array<[string, Schema]> {
  const out: Array<[string, Schema]> = [];
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.push([`${path}${k}`, v]);
    out.push(...properties(v, `${path}${k}.`));
    if (v.items) out.push(...properties(v.items, `${path}${k}[].`));
    for (const alt of v.anyOf ?? []) out.push(...properties(alt, `${path}${k}.`));
  }
  return out;
}

describe("tool input schemas", () => {
  it("describe every input property of every tool", () => {
    const all = TOOLS.flatMap((t) =>
      properties(z.toJSONSchema(t.input, { io: "input" }) as Schema).map(
        ([path, s]) => [`${t.name}.${path}`, s] as const,
      ),
    );
    expect(all.length).toBeGreaterThan(70);
    const undescribed = all.filter(([, s]) => !s.description?.trim()).map(([p]) => p);
    expect(undescribed).toEqual([]);
  });

  it("declare an object output schema for every tool, times in it as ISO 8601 date-times", () => {
    for (const t of TOOLS) {
      const out = z.toJSONSchema(t.output, { io: "output" }) as Schema;
      expect(out.type, t.name).toBe("object");
      const times = properties(out).filter(([p]) => /(^|\.|_)(at|timestamp)$/.test(p));
      for (const [path, s] of times) {
        const alts = (s.anyOf ?? [s]).filter((x) => x.type !== "null");
        expect(
          alts.every((x) => x.type === "string" && x.format === "date-time"),
          `${t.name}.${path}`,
        ).toBe(true);
      }
    }
    const withTimes = TOOLS.filter((t) =>
      properties(z.toJSONSchema(t.output, { io: "output" }) as Schema).some(([p]) =>
        /(_at|timestamp)$/.test(p),
      ),
    );
    expect(withTimes.length).toBeGreaterThan(15);
  });
});
