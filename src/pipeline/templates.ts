// Stage templates (`uses: terraform-plan`): YAML files that preset a stage's agent, objective,
// artifacts and retry. Looked up by name in the given folders, the first match winning.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type TemplateInput, templateSchema } from "./schema.js";
import { PipelineError, parseSource, zodIssues } from "./source.js";

export interface TemplateDef {
  name: string;
  description: string;
  file: string;
  stage: TemplateInput["stage"];
}

export interface TemplateLibrary {
  get(name: string): TemplateDef | null;
  names(): string[];
}

export function templateLibrary(dirs: readonly string[]): TemplateLibrary {
  const cache = new Map<string, TemplateDef | null>();
  const fileOf = (name: string) => {
    for (const dir of dirs)
      for (const ext of [".yaml", ".yml"]) {
        const file = join(dir, `${name}${ext}`);
        if (existsSync(file)) return file;
      }
    return null;
  };
  return {
    get(name) {
      if (!cache.has(name)) {
        const file = fileOf(name);
        cache.set(name, file ? loadTemplate(readFileSync(file, "utf8"), file, name) : null);
      }
      return cache.get(name)!;
    },
    names() {
      const all = dirs.flatMap((dir) => {
        try {
          return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
        } catch {
          return [];
        }
      });
      return [...new Set(all.map((f) => f.replace(/\.ya?ml$/, "")))].sort();
    },
  };
}

/** Parses one template file; its problems point at its own lines. */
export function loadTemplate(text: string, file: string, expectedName?: string): TemplateDef {
  const src = parseSource(text, file);
  const parsed = templateSchema.safeParse(src.value);
  if (!parsed.success) throw new PipelineError(zodIssues(src, [], parsed.error));
  const t = parsed.data.template;
  if (expectedName && t.name !== expectedName)
    throw new PipelineError([
      src.issue(
        ["template", "name"],
        `"${t.name}" does not match its file name (${expectedName}); rename one of them`,
      ),
    ]);
  return { name: t.name, description: t.description, file, stage: t.stage };
}
