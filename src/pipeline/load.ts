// Loads a pipeline: YAML → zod shape → names resolved (roles, templates, requires, when) → run
// order. Every problem is found here, before anything runs, each at its line.
import type { Tier } from "../authority/index.js";
import type { StateStore } from "../state/index.js";
import { dict } from "../util/dict.js";
import { runOrder } from "./graph.js";
import { BUILTIN_ROLES } from "./roles.js";
import { documentSchema } from "./schema.js";
import {
  PipelineError,
  type PipelineIssue,
  parseSource,
  type Source,
  zodIssues,
} from "./source.js";
import { parseStage } from "./stage-def.js";
import type { TemplateLibrary } from "./templates.js";
import type { PipelineDef, RoleDef, RunRecord, StageDef } from "./types.js";
import { stagesOf } from "./when.js";

export interface LoadOptions {
  templates: TemplateLibrary;
}

export function loadPipeline(text: string, file: string, opts: LoadOptions): PipelineDef {
  const src = parseSource(text, file);
  const parsed = documentSchema.safeParse(src.value);
  if (!parsed.success) throw new PipelineError(zodIssues(src, [], parsed.error));
  const doc = parsed.data.pipeline;
  const issues: PipelineIssue[] = [];

  // Role names come from the pipeline's author: a prototype-free map, looked up by own keys only.
  const roles = dict<RoleDef>(Object.entries(BUILTIN_ROLES));
  for (const [name, r] of Object.entries(doc.roles ?? {})) {
    if (Object.hasOwn(BUILTIN_ROLES, name)) {
      issues.push(
        src.issue(["pipeline", "roles", name], "is a built-in role; choose another name", true),
      );
      continue;
    }
    roles[name] = {
      name,
      tier: r.tier as Tier,
      description: r.description ?? `${name} (declared by ${doc.name})`,
      builtin: false,
    };
  }

  const stages: StageDef[] = [];
  const seen = new Set<string>();
  doc.stages.forEach((entry, i) => {
    const stage = parseStage(
      src,
      i,
      entry,
      { pipeline: doc.name, description: doc.description ?? "", roles, ...opts },
      issues,
    );
    if (!stage) return;
    if (seen.has(stage.name)) {
      issues.push(
        src.issue(
          ["pipeline", "stages", i, stage.name],
          `a stage named "${stage.name}" is already defined; stage names must be unique`,
          true,
        ),
      );
      return;
    }
    seen.add(stage.name);
    stages.push(stage);
  });
  if (issues.length === 0) checkReferences(src, stages, doc.stages, issues);
  if (issues.length > 0) throw new PipelineError(issues);

  const result = runOrder(stages.map((s) => ({ name: s.name, after: dependencies(s) })));
  if (!result.ok) {
    const [first] = result.cycle;
    const i = indexOf(doc.stages, first!);
    const s = stages.find((x) => x.name === first)!;
    const via = s.requires.includes(result.cycle[1]!) ? "requires" : "when";
    throw new PipelineError([
      src.issue(
        ["pipeline", "stages", i, first!, via],
        `cycle: ${result.cycle.join(" → ")} (each waits for the next, so none can start)`,
      ),
    ]);
  }
  const byName = new Map(stages.map((s) => [s.name, s]));
  return {
    name: doc.name,
    description: doc.description ?? "",
    file,
    roles,
    stages: result.order.map((n) => byName.get(n)!),
  };
}

const dependencies = (s: StageDef) => [
  ...new Set([...s.requires, ...(s.when ? stagesOf(s.when.cond) : [])]),
];

function indexOf(entries: readonly unknown[], name: string): number {
  return entries.findIndex((e) => e !== null && typeof e === "object" && name in e);
}

/** Every stage named in requires and when exists, and is not the stage itself. */
function checkReferences(
  src: Source,
  stages: StageDef[],
  entries: readonly unknown[],
  issues: PipelineIssue[],
): void {
  const names = new Set(stages.map((s) => s.name));
  const hint = (n: string) => {
    const close = [...names].find((m) => near(m, n));
    return close ? `; did you mean "${close}"?` : ` (stages: ${[...names].join(", ")})`;
  };
  for (const s of stages) {
    const base = ["pipeline", "stages", indexOf(entries, s.name), s.name];
    s.requires.forEach((r, j) => {
      if (r === s.name)
        issues.push(at(src, [...base, "requires"], j, "a stage cannot require itself"));
      else if (!names.has(r))
        issues.push(at(src, [...base, "requires"], j, `unknown stage "${r}"${hint(r)}`));
    });
    if (s.kind === "github" && s.action === "merge") {
      const gated = s.requires.some((r) => stages.find((x) => x.name === r)?.kind === "human-gate");
      if (!gated)
        issues.push(
          src.issue(
            [...base, "requires"],
            "a merge needs a person's approval first: require a human-gate stage",
          ),
        );
    }
    if (s.kind === "agent")
      for (const ref of artifactRefs(s.objective)) {
        if (!names.has(ref.stage))
          issues.push(
            src.issue(
              [...base, "objective"],
              `unknown stage "${ref.stage}" in ${ref.text}${hint(ref.stage)}`,
            ),
          );
        else if (!s.requires.includes(ref.stage))
          issues.push(
            src.issue(
              [...base, "objective"],
              `${ref.text} reads stage ${ref.stage}'s artifact: add ${ref.stage} to requires, so it has run (and succeeded) first`,
            ),
          );
      }
    for (const w of s.when ? stagesOf(s.when.cond) : []) {
      if (w === s.name)
        issues.push(
          src.issue([...base, "when"], "a stage's condition cannot read its own outcome"),
        );
      else if (!names.has(w))
        issues.push(src.issue([...base, "when"], `unknown stage "${w}"${hint(w)}`));
    }
  }
}

/** `${stages.<stage>.artifacts.<name>}`: an earlier stage's artifact, in an objective. */
const ARTIFACT_REF =
  /\$\{stages\.([A-Za-z][A-Za-z0-9_-]*)\.artifacts\.([A-Za-z0-9][A-Za-z0-9._:/-]*)\}/g;

export function artifactRefs(text: string): Array<{ text: string; stage: string; name: string }> {
  return [...text.matchAll(ARTIFACT_REF)].map((m) => ({ text: m[0], stage: m[1]!, name: m[2]! }));
}

/** The objective with each reference replaced by the artifact's text (at most `max` each). */
export async function withArtifacts(
  text: string,
  read: (stage: string, name: string) => Promise<unknown>,
  max = 8000,
): Promise<string> {
  let out = text;
  for (const ref of artifactRefs(text)) {
    const content = await read(ref.stage, ref.name);
    const shown =
      content === undefined
        ? `(artifact ${ref.name} of stage ${ref.stage} was not recorded)`
        : typeof content === "string"
          ? content
          : isCommandOutput(content)
            ? content.stdout
            : JSON.stringify(content);
    out = out.replace(ref.text, shown.length > max ? `${shown.slice(0, max)}…` : shown);
  }
  return out;
}

/** Reads an artifact of a stage of the run, by stage and name (undefined when not recorded). */
export const stageArtifacts =
  (state: StateStore, record: RunRecord) =>
  async (stage: string, name: string): Promise<unknown> => {
    const task = record.stages[stage]?.task_id;
    return task ? (await state.artifacts.get(task, name))?.content : undefined;
  };

const isCommandOutput = (c: unknown): c is { stdout: string } =>
  typeof c === "object" && c !== null && typeof (c as { stdout?: unknown }).stdout === "string";

/** An issue on a list element's line, named by the list's field. */
function at(src: Source, path: Array<string | number>, j: number, message: string): PipelineIssue {
  return { ...src.issue(path, message), line: src.line([...path, j]) };
}

/** Same length and one letter off, or one letter more or less, or two letters swapped. */
function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  const sorted = (s: string) => [...s].sort().join("");
  if (a.length === b.length && sorted(a) === sorted(b)) return true;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return (
    a.slice(i + 1) === b.slice(i + 1) ||
    a.slice(i + 1) === b.slice(i) ||
    a.slice(i) === b.slice(i + 1)
  );
}
