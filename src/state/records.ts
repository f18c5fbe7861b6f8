// The StateStore's domain records kept as documents: an agent's session checkpoints, a task's
// artifacts, plan marks, task exits and progress roster, and pipeline runs. Each adapter supplies
// the document primitive in its own engine; the shapes, and their zod check on read, live here once,
// so a stored value that is not what the domain wrote is an error, never a silent cast.
import { z } from "zod";
import { AgovError } from "../util/errors.js";

/** One scope of documents: saved whole, read by key, or listed newest first. */
export interface Documents {
  save(scope: string, key: string, data: unknown): Promise<{ saved_at: number }>;
  load(scope: string, key: string): Promise<{ data: unknown; saved_at: number } | null>;
  /** Every document of the scope, most recently saved first, at most `limit`. */
  entries(
    scope: string,
    limit: number,
  ): Promise<Array<{ key: string; data: unknown; saved_at: number }>>;
}

export const PHASE_LINE = z.object({ phase: z.string(), step: z.string(), at: z.number() });
export type RosterLine = z.infer<typeof PHASE_LINE>;

export const ARTIFACT = z.object({ kind: z.string(), content: z.unknown(), author: z.string() });
export type ArtifactRecord = z.infer<typeof ARTIFACT>;

export const TASK_EXIT = z.object({ run_id: z.string(), started_at: z.number(), at: z.number() });
export type TaskExit = z.infer<typeof TASK_EXIT>;

export const GATE_DECISION = z.object({
  decision: z.enum(["approve", "reject"]),
  by: z.string(),
  reason: z.string(),
  at: z.number(),
});
export type GateDecision = z.infer<typeof GATE_DECISION>;

export const STAGE_CLAIM = z.object({ agent_id: z.string(), at: z.number() });
export type StageClaim = z.infer<typeof STAGE_CLAIM>;

/** A finding of the architecture review's bug watcher (src/review): one failure, however often seen. */
export const FINDING = z.object({
  /** The repository (or other target) the finding belongs to. */
  scope: z.string(),
  /** Stable across runs: a hash of the finding's kind, place and normalised message. */
  fingerprint: z.string(),
  kind: z.enum(["test", "lint", "command", "ledger"]),
  severity: z.enum(["low", "medium", "high"]),
  /** Where it comes from: the command (`npm test`) or `ledger`. */
  source: z.string(),
  /** The tool that reported it (node:test, eslint, biome, vitest, an MCP tool). */
  tool: z.string(),
  title: z.string(),
  message: z.string(),
  file: z.string().nullable(),
  test: z.string().nullable(),
  rule: z.string().nullable(),
  status: z.enum(["open", "resolved"]),
  first_seen: z.number(),
  last_seen: z.number(),
  /** Runs that saw it. */
  occurrences: z.number().int().nonnegative(),
  /** How many times the last run that saw it counted it (failures, ledger rows). */
  count: z.number().int().nonnegative(),
  /** Ledger row ids behind it. */
  evidence: z.array(z.string()),
  resolved_at: z.number().nullable(),
  /** The review run that last saw (or resolved) it. */
  run_id: z.string(),
});
export type Finding = z.infer<typeof FINDING>;

/** Most findings one target keeps. */
const FINDINGS_MAX = 10_000;

const PLAN_MARK = z.object({ name: z.string() });
const RUN_SUMMARY = z.object({ run_id: z.string(), pipeline: z.string(), created_at: z.number() });
export type PipelineRunSummary = z.infer<typeof RUN_SUMMARY>;

/** Scopes, as the embedded and Redis stores have always named them (no migration needed). */
const SCOPE = {
  session: (agent: string) => `session:${agent}`,
  artifact: (task: string) => `artifact:${task}`,
  plan: (agent: string) => `plan:${agent}`,
  exit: (task: string) => `task-exit:${task}`,
  roster: (task: string) => `roster:${task}`,
  run: "pipeline:run",
  runIndex: "pipeline:runs",
  gate: "pipeline:gate",
  claim: "pipeline:claim",
  oauth: (kind: OAuthKind) => `oauth:${kind}`,
  findings: (target: string) => `findings:${target}`,
} as const;

/** What the OAuth authorization server keeps (src/server/oauth): each kind is a scope. */
export type OAuthKind = "client" | "consent" | "code" | "refresh";

/** Longest roster a task keeps (agents that ever worked it). */
const ROSTER_MAX = 1000;

function read<S extends z.ZodType>(schema: S, what: string, data: unknown): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new AgovError(
    "INTERNAL",
    `stored ${what} is not in the shape agov writes (${parsed.error.issues[0]?.message ?? "invalid"}); the state store holds foreign or damaged data`,
  );
}

export function domainRecords(docs: Documents) {
  const get = async <S extends z.ZodType>(schema: S, what: string, scope: string, key: string) => {
    const hit = await docs.load(scope, key);
    // A cleared document (a reopened gate's decision) is stored as null.
    return hit && hit.data !== null ? read(schema, what, hit.data) : null;
  };
  return {
    /**
     * The OAuth authorization server's records, shared by every instance on the store: registered
     * clients, pending consents, codes and refresh tokens (by hash). Null clears one; the shapes
     * are the server's to check.
     */
    oauth: {
      put: async (kind: OAuthKind, key: string, data: unknown) => {
        await docs.save(SCOPE.oauth(kind), key, data);
      },
      get: async (kind: OAuthKind, key: string) =>
        (await docs.load(SCOPE.oauth(kind), key))?.data ?? null,
    },
    /** The architecture review's findings, one document per fingerprint within a target. */
    findings: {
      put: async (finding: Finding) => {
        await docs.save(SCOPE.findings(finding.scope), finding.fingerprint, FINDING.parse(finding));
      },
      get: (scope: string, fingerprint: string) =>
        get(FINDING, `finding ${fingerprint}`, SCOPE.findings(scope), fingerprint),
      /** The target's findings, most recently changed first. */
      list: async (scope: string, limit = FINDINGS_MAX) =>
        (await docs.entries(SCOPE.findings(scope), Math.min(limit, FINDINGS_MAX))).map((e) =>
          read(FINDING, `finding ${e.key}`, e.data),
        ),
    },
    sessions: {
      save: (agentId: string, key: string, data: unknown) =>
        docs.save(SCOPE.session(agentId), key, data),
      load: (agentId: string, key: string) => docs.load(SCOPE.session(agentId), key),
    },
    artifacts: {
      put: (taskId: string, name: string, record: ArtifactRecord) =>
        docs.save(SCOPE.artifact(taskId), name, record),
      get: (taskId: string, name: string) =>
        get(ARTIFACT, `artifact ${name}`, SCOPE.artifact(taskId), name),
    },
    plans: {
      /** The run's plan artifact is recorded (a plan is needed before EXECUTE). */
      mark: async (agentId: string, runId: string, name: string) => {
        await docs.save(SCOPE.plan(agentId), runId, { name });
      },
      get: async (agentId: string, runId: string) =>
        (await get(PLAN_MARK, "plan mark", SCOPE.plan(agentId), runId))?.name ?? null,
    },
    exits: {
      /** Who finished the task, readable after the agent's next run replaces its run record. */
      mark: async (taskId: string, agentId: string, exit: TaskExit) => {
        await docs.save(SCOPE.exit(taskId), agentId, exit);
      },
      get: (taskId: string, agentId: string) =>
        get(TASK_EXIT, "task exit", SCOPE.exit(taskId), agentId),
    },
    roster: {
      /** One line per agent, each its own document: concurrent agents never overwrite each other. */
      set: async (taskId: string, agentId: string, line: RosterLine) => {
        await docs.save(SCOPE.roster(taskId), agentId, line);
      },
      read: async (taskId: string): Promise<Record<string, RosterLine>> => {
        const lines = await docs.entries(SCOPE.roster(taskId), ROSTER_MAX);
        const out: Record<string, RosterLine> = Object.create(null);
        for (const l of lines) out[l.key] = read(PHASE_LINE, `roster line ${l.key}`, l.data);
        return out;
      },
    },
    pipelineRuns: {
      /** Indexes a new run (once, at its start) so the list is newest first without a scan. */
      index: async (summary: PipelineRunSummary) => {
        await docs.save(SCOPE.runIndex, summary.run_id, summary);
      },
      list: async (limit: number) =>
        (await docs.entries(SCOPE.runIndex, limit)).map((e) =>
          read(RUN_SUMMARY, `pipeline run ${e.key}`, e.data),
        ),
      /** The run record itself; its shape is the pipeline module's to check. */
      put: async (runId: string, record: unknown) => {
        await docs.save(SCOPE.run, runId, record);
      },
      get: async (runId: string) => (await docs.load(SCOPE.run, runId))?.data ?? null,
      /** A gate's decision; null clears it (a reopened gate starts with none). */
      putDecision: async (runId: string, stage: string, decision: GateDecision | null) => {
        await docs.save(SCOPE.gate, `${runId}/${stage}`, decision);
      },
      decision: (runId: string, stage: string) =>
        get(GATE_DECISION, "gate decision", SCOPE.gate, `${runId}/${stage}`),
      putClaim: async (runId: string, stage: string, claim: StageClaim) => {
        await docs.save(SCOPE.claim, `${runId}/${stage}`, claim);
      },
      claim: (runId: string, stage: string) =>
        get(STAGE_CLAIM, "stage claim", SCOPE.claim, `${runId}/${stage}`),
    },
  };
}

export type DomainRecords = ReturnType<typeof domainRecords>;
