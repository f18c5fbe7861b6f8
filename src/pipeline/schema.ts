// The pipeline YAML as zod schemas: the document, one stage's body (agent or human gate), retry,
// declared roles and template files. Pure shape; names are resolved in load.ts.
import { z } from "zod";
import { parseDuration } from "../util/duration.js";

/**
 * Stage, role, template and pipeline names. Names of Object.prototype's own members are refused:
 * they would resolve to JavaScript built-ins wherever a name is looked up in a plain object.
 */
export const NAME_RE =
  /^(?!(?:constructor|hasOwnProperty|isPrototypeOf|propertyIsEnumerable|toLocaleString|toString|valueOf)$)[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const NAME_HINT =
  "letters, digits, _ and - only, starting with a letter (at most 63), not a JavaScript built-in such as constructor";
export const stageName = z.string().regex(NAME_RE, `expected a name: ${NAME_HINT}`);
const roleName = stageName;
export const artifactName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
    "expected an artifact name: letters, digits and . _ : / - only",
  );

/** Node's timers hold at most about 24.8 days; a week is the longest any stage may wait. */
const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/** "30m", "1h30m", "90s": a number alone is refused, since its unit would be a guess. */
export const duration = z.unknown().transform((v, ctx) => {
  const ms = typeof v === "string" ? parseDuration(v) : undefined;
  if (ms === undefined || /^\s*\d+\s*$/.test(String(v))) {
    ctx.addIssue({
      code: "custom",
      message:
        v === undefined
          ? "required: a duration such as 90s, 30m or 1h"
          : `expected a duration such as 90s, 30m or 1h, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({
      code: "custom",
      message: `expected at most 7d (timers cannot wait longer), got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const tier = z.number().int().min(0).max(4);

export const retrySchema = z.preprocess(
  (v) => (typeof v === "number" ? { attempts: v } : v),
  z.strictObject({
    attempts: z.number().int().min(1).max(10),
    backoff: duration.optional(),
    factor: z.number().min(1).max(10).optional(),
    max_backoff: duration.optional(),
  }),
);

const common = {
  requires: z.array(stageName).max(50).optional(),
  when: z.string().min(1).max(500).optional(),
};

/** The fields a template may set for a stage (requires/when belong to the pipeline). */
export const agentFields = {
  agent: roleName.optional(),
  objective: z.string().min(1).max(4000).optional(),
  artifacts: z.array(artifactName).max(50).optional(),
  tier: tier.optional(),
  retry: retrySchema.optional(),
  on_failure: z.enum(["stop", "continue"]).optional(),
  timeout: duration.optional(),
};

export const agentStageSchema = z.strictObject({
  type: z.literal("agent").optional(),
  uses: z.string().regex(NAME_RE, `expected a template name: ${NAME_HINT}`).optional(),
  ...agentFields,
  ...common,
});
export type AgentStageInput = z.output<typeof agentStageSchema>;

export const gateStageSchema = z.strictObject({
  type: z.literal("human-gate"),
  timeout: duration,
  prompt: z.string().min(1).max(1000).optional(),
  ...common,
});
export type GateStageInput = z.output<typeof gateStageSchema>;

/** An environment variable's name, passed through from agov's own environment when allowed. */
/**
 * agov's own credentials and settings are never passed to a command: a pipeline's author (an MCP
 * caller at T3 may send one as source) could otherwise read them back from the command's output.
 * OTEL_* among them: OTEL_EXPORTER_OTLP_HEADERS commonly carries the collector's API key.
 */
const AGOV_OWN = /^(AGOV_|VAULT_|OPENAI_|OPENROUTER_|OTEL_)|^(GITHUB_TOKEN|REDIS_URL)$/i;
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "expected a variable name")
  .refine(
    (n) => !AGOV_OWN.test(n),
    "agov's own credentials and settings (AGOV_*, VAULT_*, OPENAI_*, OPENROUTER_*, OTEL_* (its collector's headers), GITHUB_TOKEN, REDIS_URL) are never passed to a command",
  );
const arg = z
  .string()
  .max(4096)
  .refine((a) => !a.includes("\0"), "expected no NUL character");

/** One command of a `run:` list: its argv, or the long form with its limits. */
export const commandStepSchema = z.union([
  z.array(arg).min(1).max(100),
  z.strictObject({
    argv: z.array(arg).min(1).max(100),
    /** Through /bin/sh -c (argv must then be one string): only where the stage says so. */
    shell: z.boolean().optional(),
    cwd: z.string().min(1).max(1000).optional(),
    env: z.array(envName).max(50).optional(),
    timeout: duration.optional(),
    max_output: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .optional(),
    artifact: artifactName.optional(),
  }),
]);

export const commandStageSchema = z.strictObject({
  type: z.literal("command"),
  run: z.array(commandStepSchema).min(1).max(20),
  tier: tier.optional(),
  on_failure: z.enum(["stop", "continue"]).optional(),
  ...common,
});
export type CommandStageInput = z.output<typeof commandStageSchema>;

const gitRef = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/-]+$/, "expected a branch name: letters, digits and . _ / -");
const prRef = {
  number: z.number().int().min(1).optional(),
  /** An earlier stage that opened the pull request. */
  pull_request_of: stageName.optional(),
};
export const githubStageSchema = z.strictObject({
  type: z.literal("github"),
  repo: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "expected owner/name, e.g. acme/app"),
  tier: tier.optional(),
  on_failure: z.enum(["stop", "continue"]).optional(),
  open_pull_request: z
    .strictObject({
      head: gitRef,
      base: gitRef,
      title: z.string().min(1).max(256),
      body: z.string().max(60_000).optional(),
    })
    .optional(),
  comment: z.strictObject({ ...prRef, body: z.string().min(1).max(60_000) }).optional(),
  status: z
    .strictObject({
      sha: z.string().regex(/^[0-9a-f]{7,64}$/, "expected a commit sha"),
      state: z.enum(["pending", "success", "failure", "error"]),
      context: z.string().min(1).max(100).optional(),
      description: z.string().max(140).optional(),
    })
    .optional(),
  merge: z
    .strictObject({ ...prRef, method: z.enum(["merge", "squash", "rebase"]).optional() })
    .optional(),
  /** A gate on the pull request's reviews: approved goes on, changes requested fails. */
  wait_for_review: z.strictObject({ ...prRef, timeout: duration.optional() }).optional(),
  ...common,
});

export const documentSchema = z.strictObject({
  pipeline: z.strictObject({
    name: stageName,
    description: z.string().max(2000).optional(),
    roles: z
      .record(
        roleName,
        z.strictObject({ tier, description: z.string().min(1).max(500).optional() }),
      )
      .optional(),
    stages: z.array(z.unknown()).min(1).max(100),
  }),
});

export const templateSchema = z.strictObject({
  template: z.strictObject({
    name: stageName,
    description: z.string().min(1).max(2000),
    stage: z.strictObject(agentFields),
  }),
});
export type TemplateInput = z.output<typeof templateSchema>["template"];
