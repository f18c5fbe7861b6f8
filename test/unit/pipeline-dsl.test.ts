// The pipeline DSL at load time: the seed's example and the shipped pipelines and templates load;
// each kind of malformed pipeline gives exactly one error naming its line and field.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPipeline } from "../../src/pipeline/load.js";
import { PipelineError, type PipelineIssue } from "../../src/pipeline/source.js";
import { loadTemplate, templateLibrary } from "../../src/pipeline/templates.js";

const root = join(import.meta.dirname, "..", "..");
const templates = templateLibrary([join(root, "templates")]);
const load = (text: string) => loadPipeline(text, "pipeline.yaml", { templates });

function issuesOf(text: string): PipelineIssue[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof PipelineError) return err.issues;
    throw err;
  }
  throw new Error("the pipeline loaded, but it should not have");
}

/** Exactly one issue, returned as `file:line: field: message`. */
function oneIssue(text: string): string {
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  const i = issues[0]!;
  return `${i.file}:${i.line}: ${i.field}: ${i.message}`;
}

const SEED = `pipeline:
  name: infrastructure-deploy
  stages:
    - plan:    { agent: planner, artifacts: [terraform-plan] }
    - review:  { type: human-gate, timeout: 30m }
    - execute: { agent: executor, requires: [plan] }
`;

describe("pipeline DSL", () => {
  it("loads the seed's example with roles, tiers and the gate's timeout resolved", () => {
    const p = load(SEED);
    expect(p.stages.map((s) => [s.name, s.kind, s.line])).toEqual([
      ["plan", "agent", 4],
      ["review", "human-gate", 5],
      ["execute", "agent", 6],
    ]);
    expect(p.stages[0]).toMatchObject({ role: "planner", tier: 0, artifacts: ["terraform-plan"] });
    expect(p.stages[1]).toMatchObject({ timeout_ms: 30 * 60_000 });
    expect(p.stages[2]).toMatchObject({ role: "executor", tier: 3, requires: ["plan"] });
  });

  it("validates every pipeline and template shipped with the package", () => {
    for (const f of readdirSync(join(root, "pipelines")).filter((f) => f.endsWith(".yaml"))) {
      const text = readFileSync(join(root, "pipelines", f), "utf8");
      expect(() => load(text), f).not.toThrow();
    }
    const names = readdirSync(join(root, "templates")).filter((f) => f.endsWith(".yaml"));
    expect(names.map((f) => f.replace(".yaml", "")).sort()).toEqual(
      expect.arrayContaining(["ansible-check", "code-review", "terraform-apply", "terraform-plan"]),
    );
    for (const f of names) {
      const t = loadTemplate(readFileSync(join(root, "templates", f), "utf8"), f);
      expect(t.name).toBe(f.replace(".yaml", ""));
    }
  });

  it("merges a template under the stage, the stage's own fields winning", () => {
    const p = load(`pipeline:
  name: tf
  stages:
    - plan: { uses: terraform-plan }
    - plan2: { uses: terraform-plan, artifacts: [other-plan], tier: 2 }
`);
    expect(p.stages[0]).toMatchObject({
      role: "planner",
      tier: 0,
      artifacts: ["terraform-plan", "risk-assessment"],
      template: "terraform-plan",
      retry: { attempts: 2, backoff_ms: 5000 },
      timeout_ms: 15 * 60_000,
    });
    expect(p.stages[1]).toMatchObject({ artifacts: ["other-plan"], tier: 2 });
  });

  it("accepts roles a pipeline declares with a tier", () => {
    const p = load(`pipeline:
  name: audit
  roles:
    auditor: { tier: 2, description: Checks the books }
  stages:
    - check: { agent: auditor, artifacts: [audit-report] }
`);
    expect(p.roles.auditor).toMatchObject({ tier: 2, builtin: false });
    expect(p.stages[0]).toMatchObject({ role: "auditor", tier: 2 });
  });

  it("orders stages by requires and when, otherwise as written", () => {
    const p = load(`pipeline:
  name: order
  stages:
    - deploy: { agent: executor, requires: [build] }
    - notify: { agent: reviewer, when: deploy.failed }
    - build:  { agent: planner }
    - docs:   { agent: planner }
`);
    expect(p.stages.map((s) => s.name)).toEqual(["build", "deploy", "notify", "docs"]);
  });
});

describe("malformed pipelines: one error each, at the right line", () => {
  it("names an unknown stage in requires, with a suggestion", () => {
    expect(oneIssue(SEED.replace("requires: [plan]", "requires: [plna]"))).toBe(
      'pipeline.yaml:6: stages[2].execute.requires: unknown stage "plna"; did you mean "plan"?',
    );
  });

  it("names a cycle once, at the first stage in it", () => {
    expect(
      oneIssue(`pipeline:
  name: loop
  stages:
    - start: { agent: planner }
    - a: { agent: planner, requires: [start, b] }
    - b: { agent: planner, requires: [c] }
    - c: { agent: planner, requires: [a] }
`),
    ).toBe(
      "pipeline.yaml:5: stages[1].a.requires: cycle: a → b → c → a (each waits for the next, so none can start)",
    );
  });

  it("finds a cycle that goes through a when condition", () => {
    expect(
      oneIssue(`pipeline:
  name: loop
  stages:
    - a: { agent: planner, when: b.succeeded }
    - b: { agent: planner, requires: [a] }
`),
    ).toMatch(/^pipeline\.yaml:4: stages\[0\]\.a\.when: cycle: a → b → a/);
  });

  it("refuses a bad duration, and a number without a unit", () => {
    expect(oneIssue(SEED.replace("timeout: 30m", "timeout: 30 minutes"))).toBe(
      'pipeline.yaml:5: stages[1].review.timeout: expected a duration such as 90s, 30m or 1h, got "30 minutes"',
    );
    expect(oneIssue(SEED.replace("timeout: 30m", "timeout: 30"))).toMatch(
      /^pipeline\.yaml:5: stages\[1\]\.review\.timeout: expected a duration .* got 30$/,
    );
  });

  it("names an unknown template and lists the known ones", () => {
    expect(oneIssue(SEED.replace("agent: planner,", "uses: terraform-plna,"))).toMatch(
      /^pipeline\.yaml:4: stages\[0\]\.plan\.uses: unknown template "terraform-plna" \(templates: .*terraform-plan/,
    );
  });

  it("names a wrong type: a string where a list belongs, a string tier", () => {
    expect(oneIssue(SEED.replace("[terraform-plan]", "terraform-plan"))).toBe(
      'pipeline.yaml:4: stages[0].plan.artifacts: expected a list, got string "terraform-plan"',
    );
    expect(oneIssue(SEED.replace("requires: [plan]", 'tier: "3"'))).toBe(
      'pipeline.yaml:6: stages[2].execute.tier: expected number, got string "3"',
    );
  });

  it("names an unknown agent role", () => {
    expect(oneIssue(SEED.replace("agent: executor", "agent: exector"))).toMatch(
      /^pipeline\.yaml:6: stages\[2\]\.execute\.agent: unknown agent "exector" \(roles: planner, reviewer, executor, ALPHA, BETA, GAMMA/,
    );
  });

  it("names an unknown field on its own line in block style", () => {
    expect(
      oneIssue(`pipeline:
  name: block
  stages:
    - plan:
        agent: planner
        artefacts: [x]
`),
    ).toBe(
      "pipeline.yaml:6: stages[0].plan.artefacts: unknown field; remove it or check its spelling",
    );
  });

  it("explains fields that were not indented under the stage's name", () => {
    expect(
      oneIssue(`pipeline:
  name: flat
  stages:
    - plan:
      agent: planner
`),
    ).toMatch(
      /^pipeline\.yaml:4: stages\[0\]: a stage is one `<name>: \{ … \}` entry, found keys plan, agent/,
    );
  });

  it("reports YAML syntax errors with their line", () => {
    expect(oneIssue("pipeline:\n  name: x\n  stages: [\n")).toMatch(
      /^pipeline\.yaml:4: : YAML syntax/,
    );
  });

  it("refuses duplicate stages, a self-requirement, a bad when and a tier below the role's", () => {
    expect(
      oneIssue(`pipeline:
  name: dup
  stages:
    - a: { agent: planner }
    - a: { agent: planner }
`),
    ).toMatch(/^pipeline\.yaml:5: stages\[1\]\.a: a stage named "a" is already defined/);
    expect(oneIssue(SEED.replace("requires: [plan]", "requires: [execute]"))).toBe(
      "pipeline.yaml:6: stages[2].execute.requires: a stage cannot require itself",
    );
    expect(oneIssue(SEED.replace("requires: [plan]", "when: plan.done"))).toMatch(
      /^pipeline\.yaml:6: stages\[2\]\.execute\.when: "plan\.done": unknown attribute "done"/,
    );
    expect(oneIssue(SEED.replace("requires: [plan]", "when: deploy.failed"))).toMatch(
      /^pipeline\.yaml:6: stages\[2\]\.execute\.when: unknown stage "deploy"/,
    );
    expect(oneIssue(SEED.replace("requires: [plan]", "tier: 1"))).toBe(
      "pipeline.yaml:6: stages[2].execute.tier: T1 is below role executor's tier T3; a stage may ask more, not less",
    );
  });

  it("points at the template file's own line when a template is broken", () => {
    const dir = mkdtempSync(join(tmpdir(), "agov-templates-"));
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      "template:\n  name: broken\n  description: x\n  stage:\n    agent: planner\n    retry: { attempts: many }\n",
    );
    const text = "pipeline:\n  name: p\n  stages:\n    - a: { uses: broken }\n";
    expect(() => loadPipeline(text, "p.yaml", { templates: templateLibrary([dir]) })).toThrow(
      `${file}:6: stage.retry.attempts: expected number, got string "many"`,
    );
  });

  it("refuses a gate without a timeout, and agent fields on a gate", () => {
    expect(oneIssue(SEED.replace(", timeout: 30m", ""))).toBe(
      "pipeline.yaml:5: stages[1].review.timeout: required: a duration such as 90s, 30m or 1h",
    );
    expect(oneIssue(SEED.replace("timeout: 30m", "timeout: 30m, agent: planner"))).toBe(
      "pipeline.yaml:5: stages[1].review.agent: unknown field; remove it or check its spelling",
    );
  });
});

describe("cycle detection at scale", () => {
  it("names a cycle under a 98-stage layered graph in one pass (no path enumeration)", () => {
    // 24 layers of 4 stages, each requiring every stage of the layer below, over a 2-cycle: the
    // number of paths is 4^24, so walking paths instead of stages would never finish.
    const lines = ["pipeline:", "  name: layered", "  stages:"];
    const name = (l: number, i: number) => `n${l}x${i}`;
    for (let l = 23; l >= 0; l--)
      for (let i = 0; i < 4; i++) {
        const req = l === 0 ? ["ca"] : [0, 1, 2, 3].map((j) => name(l - 1, j));
        lines.push(`    - ${name(l, i)}: { agent: planner, requires: [${req.join(", ")}] }`);
      }
    lines.push(
      "    - ca: { agent: planner, requires: [cb] }",
      "    - cb: { agent: planner, requires: [ca] }",
    );
    expect(() =>
      loadPipeline(`${lines.join("\n")}\n`, "<source>", { templates: templateLibrary([]) }),
    ).toThrow(/cycle.*ca.*cb.*ca/);
  });
});

describe("names that are JavaScript built-ins", () => {
  it("refuses a role or a stage named after an Object.prototype member, naming the line", () => {
    expect(
      oneIssue(`pipeline:
  name: p
  stages:
    - plan: { agent: constructor }
`),
    ).toMatch(/^pipeline\.yaml:4: .*agent: expected a name: .*not a JavaScript built-in/);
    expect(
      oneIssue(`pipeline:
  name: p
  stages:
    - toString: { agent: planner }
`),
    ).toMatch(/^pipeline\.yaml:4: .*not a JavaScript built-in/);
  });
});

describe("duration limits", () => {
  it("refuses a timeout longer than a week, naming the line", () => {
    expect(
      oneIssue(`pipeline:
  name: p
  stages:
    - review: { type: human-gate, timeout: 30d }
`),
    ).toMatch(/^pipeline\.yaml:4: .*timeout: expected at most 7d/);
  });
});

describe("resource exhaustion", () => {
  it("refuses a billion-laughs document as INVALID_INPUT, not an internal error", () => {
    const levels = "abcdefgh".split("");
    const lines = [`a: &a [${Array(9).fill('"lol"').join(",")}]`];
    for (let i = 1; i < levels.length; i++)
      lines.push(
        `${levels[i]}: &${levels[i]} [${Array(9)
          .fill(`*${levels[i - 1]}`)
          .join(",")}]`,
      );
    lines.push("pipeline: {name: x, stages: []}");
    let caught: unknown;
    try {
      load(`${lines.join("\n")}\n`);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PipelineError);
    expect((caught as PipelineError).code).toBe("INVALID_INPUT");
    expect((caught as PipelineError).message).toMatch(/pipeline\.yaml:1: .*aliases/);
  });
});
