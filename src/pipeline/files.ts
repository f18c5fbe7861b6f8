// Where pipelines and templates are found: a path as given, or a name looked up in the agov home
// and then in the pipelines shipped with the package.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AgovError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";
import { NAME_RE } from "./schema.js";

export interface PipelineDirs {
  pipelines: string[];
  templates: string[];
}

export function defaultDirs(home: string): PipelineDirs {
  return {
    pipelines: [join(home, "pipelines"), join(packageRoot(), "pipelines")],
    templates: [join(home, "templates"), join(packageRoot(), "templates")],
  };
}

/** Templates next to the pipeline file come first, then the usual folders. */
export function templateDirsFor(file: string, dirs: PipelineDirs): string[] {
  return existsSync(file) ? [join(dirname(file), "templates"), ...dirs.templates] : dirs.templates;
}

/** A pipeline by name (`infrastructure-deploy`) in the pipeline folders. */
export function findByName(name: string, dirs: PipelineDirs): { text: string; file: string } {
  if (!NAME_RE.test(name))
    throw new AgovError("INVALID_INPUT", `pipeline: "${name}" is not a pipeline name`);
  for (const dir of dirs.pipelines)
    for (const ext of [".yaml", ".yml"]) {
      const file = join(dir, `${name}${ext}`);
      if (existsSync(file)) return { text: readFileSync(file, "utf8"), file };
    }
  throw new AgovError(
    "NOT_FOUND",
    `no pipeline named "${name}" in ${dirs.pipelines.join(" or ")}; pass a file path, or put ${name}.yaml there`,
  );
}

/** The names of the pipelines in the pipeline folders (the agov home's first), each once. */
export function pipelineNames(dirs: PipelineDirs): string[] {
  const names = new Set<string>();
  for (const dir of dirs.pipelines) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(f);
      if (m && NAME_RE.test(m[1]!)) names.add(m[1]!);
    }
  }
  return [...names];
}

/** A path if it names a file (or looks like one), else a name. */
export function findPipeline(ref: string, dirs: PipelineDirs): { text: string; file: string } {
  if (existsSync(ref)) return { text: readFileSync(ref, "utf8"), file: ref };
  if (/[/\\]|\.ya?ml$/.test(ref))
    throw new AgovError("NOT_FOUND", `pipeline file ${ref} does not exist`);
  return findByName(ref, dirs);
}
