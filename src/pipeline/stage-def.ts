// One `- name: { … }` entry of `stages:` into a stage definition: its type (agent or human gate),
// its template merged under it, its role and tier resolved, its `when:` parsed.
import type { Tier } from "../authority/index.js";
import { GITHUB_ACTION_TIER } from "./github-stage.js";
import {
  agentStageSchema,
  commandStageSchema,
  gateStageSchema,
  githubStageSchema,
  NAME_RE,
} from "./schema.js";
import { type PipelineIssue, type Source, zodIssues } from "./source.js";
import type { TemplateLibrary } from "./templates.js";
import type { CommandStep, GithubAction, RetryPolicy, RoleDef, StageDef } from "./types.js";
import { parseWhen, WhenError } from "./when.js";

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const COMMAND_TIMEOUT_MS = 10 * 60_000;
const COMMAND_OUTPUT = 1024 * 1024;
/** Commands run at T2 (builder) unless the stage asks for more. */
const COMMAND_TIER = 2;

export interface StageContext {
  pipeline: string;
  description: string;
  roles: Record<string, RoleDef>;
  templates: TemplateLibrary;
}

export function parseStage(
  src: Source,
  i: number,
  entry: unknown,
  ctx: StageContext,
  issues: PipelineIssue[],
): StageDef | null {
  const path = ["pipeline", "stages", i];
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    issues.push(src.issue(path, "expected `- <name>: { … }` (a stage name and its fields)"));
    return null;
  }
  const keys = Object.keys(entry);
  if (keys.length !== 1) {
    issues.push(
      src.issue(
        path,
        `a stage is one \`<name>: { … }\` entry, found keys ${keys.join(", ")}; indent the stage's fields under its name`,
      ),
    );
    return null;
  }
  const name = keys[0]!;
  const here = [...path, name];
  if (!NAME_RE.test(name)) {
    issues.push(
      src.issue(
        here,
        "a stage name is letters, digits, _ and - (at most 63), not a JavaScript built-in such as constructor",
        true,
      ),
    );
    return null;
  }
  const body = (entry as Record<string, unknown>)[name] ?? {};
  if (typeof body !== "object" || Array.isArray(body)) {
    issues.push(src.issue(here, "expected a map of the stage's fields"));
    return null;
  }
  const type = (body as { type?: unknown }).type;
  if (
    type !== undefined &&
    type !== "agent" &&
    type !== "human-gate" &&
    type !== "command" &&
    type !== "github"
  ) {
    issues.push(
      src.issue(
        [...here, "type"],
        `expected agent, human-gate, command or github, got ${JSON.stringify(type)}`,
      ),
    );
    return null;
  }
  const when = parseCondition(src, [...here, "when"], (body as { when?: unknown }).when, issues);
  if (type === "github") {
    const g = githubStageSchema.safeParse(body);
    if (!g.success) return fail(issues, zodIssues(src, here, g.error));
    const actions = (
      ["open_pull_request", "comment", "status", "merge", "wait_for_review"] as const
    ).filter((a) => g.data[a] !== undefined);
    if (actions.length !== 1) {
      issues.push(
        src.issue(
          here,
          `a github stage does one thing: open_pull_request, comment, status, merge or wait_for_review (found ${actions.join(", ") || "none"})`,
        ),
      );
      return null;
    }
    const action: GithubAction = actions[0]!;
    const fields = g.data[action] as Record<string, unknown>;
    const least = GITHUB_ACTION_TIER[action];
    const tier = (g.data.tier ?? least) as Tier;
    if (tier < least) {
      issues.push(src.issue([...here, "tier"], `GitHub ${action} needs T${least} or above`));
      return null;
    }
    const number = typeof fields.number === "number" ? fields.number : null;
    const of = typeof fields.pull_request_of === "string" ? fields.pull_request_of : null;
    if (
      action !== "open_pull_request" &&
      action !== "status" &&
      (number === null) === (of === null)
    ) {
      issues.push(
        src.issue(
          [...here, action],
          "name the pull request: number, or pull_request_of an earlier open_pull_request stage",
        ),
      );
      return null;
    }
    const requires = g.data.requires ?? [];
    if (of && !requires.includes(of)) {
      issues.push(
        src.issue(
          [...here, action, "pull_request_of"],
          `add ${of} to requires, so it has run first`,
        ),
      );
      return null;
    }
    const strings: Partial<Record<string, string>> = {};
    for (const [k, v] of Object.entries(fields)) if (typeof v === "string") strings[k] = v;
    return {
      kind: "github",
      name,
      line: src.line(here, true),
      requires,
      when: when ?? null,
      tier,
      repo: g.data.repo,
      action,
      fields: strings,
      number,
      pull_request_of: of,
      timeout_ms: typeof fields.timeout === "number" ? fields.timeout : 24 * 3_600_000,
      on_failure: g.data.on_failure ?? "stop",
    };
  }
  if (type === "human-gate") {
    const g = gateStageSchema.safeParse(body);
    if (!g.success) return fail(issues, zodIssues(src, here, g.error));
    return {
      kind: "human-gate",
      name,
      line: src.line(here, true),
      requires: g.data.requires ?? [],
      when: when ?? null,
      timeout_ms: g.data.timeout,
      prompt: g.data.prompt ?? `Approve stage ${name} of pipeline ${ctx.pipeline}?`,
    };
  }
  if (type === "command") {
    const c = commandStageSchema.safeParse(body);
    if (!c.success) return fail(issues, zodIssues(src, here, c.error));
    const steps: CommandStep[] = [];
    for (const [i, raw] of c.data.run.entries()) {
      const step = Array.isArray(raw) ? { argv: raw } : raw;
      const shell = "shell" in step && step.shell === true;
      if (shell && step.argv.length !== 1) {
        issues.push(
          src.issue(
            [...here, "run", i, "argv"],
            "with shell: true, argv is one string: the script /bin/sh -c runs",
          ),
        );
        return null;
      }
      steps.push({
        argv: step.argv,
        shell,
        cwd: ("cwd" in step && step.cwd) || null,
        env: ("env" in step && step.env) || [],
        timeout_ms: ("timeout" in step && step.timeout) || COMMAND_TIMEOUT_MS,
        max_output: ("max_output" in step && step.max_output) || COMMAND_OUTPUT,
        artifact:
          ("artifact" in step && step.artifact) ||
          (c.data.run.length === 1 ? `${name}-output` : `${name}-${i + 1}-output`),
      });
    }
    const artifacts = steps.map((s) => s.artifact);
    const twice = artifacts.find((a, i) => artifacts.indexOf(a) !== i);
    if (twice) {
      issues.push(src.issue([...here, "run"], `artifact ${twice} is named by two commands`));
      return null;
    }
    return {
      kind: "command",
      name,
      line: src.line(here, true),
      requires: c.data.requires ?? [],
      when: when ?? null,
      tier: (c.data.tier ?? COMMAND_TIER) as Tier,
      steps,
      on_failure: c.data.on_failure ?? "stop",
    };
  }
  const a = agentStageSchema.safeParse(body);
  if (!a.success) return fail(issues, zodIssues(src, here, a.error));
  let fields = a.data;
  if (fields.uses) {
    const template = ctx.templates.get(fields.uses);
    if (!template) {
      const known = ctx.templates.names();
      issues.push(
        src.issue(
          [...here, "uses"],
          `unknown template "${fields.uses}" (templates: ${known.join(", ") || "none found"})`,
        ),
      );
      return null;
    }
    fields = { ...template.stage, ...stripUndefined(fields) } as typeof fields;
  }
  if (!fields.agent) {
    issues.push(
      src.issue(
        [...here, "agent"],
        `required: a role (${Object.keys(ctx.roles).join(", ")}), or uses: <template>`,
      ),
    );
    return null;
  }
  const role = ctx.roles[fields.agent];
  const own = (body as { agent?: unknown }).agent !== undefined;
  if (!role) {
    issues.push(
      src.issue(
        [...here, own ? "agent" : "uses"],
        `unknown agent "${fields.agent}" (roles: ${Object.keys(ctx.roles).join(", ")}; declare more under pipeline.roles with a tier)`,
      ),
    );
    return null;
  }
  const tier = (fields.tier ?? role.tier) as Tier;
  if (tier < role.tier) {
    issues.push(
      src.issue(
        [...here, "tier"],
        `T${tier} is below role ${role.name}'s tier T${role.tier}; a stage may ask more, not less`,
      ),
    );
    return null;
  }
  const retry: RetryPolicy = {
    attempts: fields.retry?.attempts ?? 1,
    backoff_ms: fields.retry?.backoff ?? 1000,
    factor: fields.retry?.factor ?? 2,
    max_backoff_ms: fields.retry?.max_backoff ?? 60_000,
  };
  return {
    kind: "agent",
    name,
    line: src.line(here, true),
    requires: fields.requires ?? [],
    when: when ?? null,
    role: role.name,
    tier,
    objective: fields.objective ?? defaultObjective(ctx, name, role.name, fields.artifacts ?? []),
    artifacts: fields.artifacts ?? [],
    retry,
    on_failure: fields.on_failure ?? "stop",
    timeout_ms: fields.timeout ?? DEFAULT_TIMEOUT_MS,
    template: fields.uses ?? null,
  };
}

function defaultObjective(ctx: StageContext, stage: string, role: string, artifacts: string[]) {
  const goal = ctx.description || `Pipeline ${ctx.pipeline}.`;
  const out = artifacts.length > 0 ? `, producing ${artifacts.join(", ")}` : "";
  return `${goal} This stage: ${stage}, as ${role}${out}.`;
}

function parseCondition(
  src: Source,
  path: Array<string | number>,
  text: unknown,
  issues: PipelineIssue[],
): { text: string; cond: ReturnType<typeof parseWhen> } | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return { text, cond: parseWhen(text) };
  } catch (err) {
    if (!(err instanceof WhenError)) throw err;
    issues.push(src.issue(path, err.message));
    return undefined;
  }
}

function fail(issues: PipelineIssue[], more: PipelineIssue[]): null {
  issues.push(...more);
  return null;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
