// agov review <path>: the architecture review of a repository, end to end — the review pipeline
// runs with the target as its command stages' directory, the review stages are done by governed
// agents in this process, and the report is written (Markdown and JSON) and printed. With
// --watch it runs again on a schedule; a run with nothing new or changed re-reviews nothing.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { TOOLS } from "../../tools/index.js";
import type { PipelineDef, RunRecord } from "../pipeline/index.js";
import type { Severity } from "../review/parse.js";
import { type ReviewReport, renderMarkdown, sortFindings } from "../review/report.js";
import { everyInterval } from "../review/schedule.js";
import { createRuntime } from "../runtime.js";
import { createGateway } from "../server/gateway.js";
import { wait } from "../util/clock.js";
import { parseDuration } from "../util/duration.js";
import { AgovError } from "../util/errors.js";
import { type Parsed, UsageError } from "./args.js";
import type { REVIEW } from "./commands.js";
import type { CliContext } from "./context.js";
import { installStageAgents } from "./pipeline-agents.js";
import { formatEvent } from "./pipeline-format.js";
import { reviewAdvisor } from "./review-advisor.js";
import { commentTarget, postReport } from "./review-github.js";
import {
  type CouncilArtifact,
  type FindingsArtifact,
  reviewStages,
  type SuggestionsArtifact,
} from "./review-stages.js";

const SEVERITIES = ["low", "medium", "high"] as const;

export async function review(
  { values, positionals }: Parsed<typeof REVIEW>,
  ctx: CliContext,
): Promise<number> {
  const target = resolve(positionals[0] as string);
  if (!existsSync(target) || !statSync(target).isDirectory())
    throw new UsageError(`review: ${target} is not a directory; give the repository's path`);
  const threshold = (values["risk-threshold"] ?? "high") as Severity;
  if (!SEVERITIES.includes(threshold))
    throw new UsageError(
      `review: --risk-threshold must be low, medium or high (got "${values["risk-threshold"]}")`,
    );
  const every = values.watch === undefined ? null : parseDuration(values.watch);
  if (every === undefined || (every !== null && every < 1000))
    throw new UsageError(
      `review: --watch takes an interval of at least 1s, e.g. 10m or 1h (got "${values.watch}")`,
    );
  const github = values.github === undefined ? null : commentTarget(values.github);
  if (github && !ctx.config.github_token)
    throw new UsageError(
      "review: --github needs the GitHub integration configured: set GITHUB_TOKEN (and AGOV_GITHUB_API_URL for GitHub Enterprise)",
    );
  const root = realpathSync(target);
  const rt = await createRuntime(ctx.config, { log: ctx.log, baseDir: root });
  const gateway = createGateway(rt, TOOLS);
  const model = installStageAgents(gateway, { config: ctx.config });
  const advisor = reviewAdvisor(model);
  const stages = reviewStages(gateway, rt, {
    scope: root,
    root,
    threshold,
    minRepeats: 3,
    ledgerWindowMs: 24 * 3600_000,
    maxSuggestions: 50,
    advisor,
  });
  const undo = [
    rt.pipelines.executors.swap("watch", stages.watch),
    rt.pipelines.executors.swap("suggest", stages.suggest),
    rt.pipelines.executors.swap("council", stages.council),
  ];
  const unwatch = rt.pipelines.watch((e) => {
    const line = formatEvent(e);
    if (line) ctx.err(line);
  });
  const stopping = new AbortController();
  const stop = () => {
    stopping.abort();
    rt.pipelines.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const once = async (): Promise<number> => {
    const { text, file, own } = pipelineSource(rt, root, values.pipeline);
    if (own) refuseBeyondReview(rt.pipelines.validate(text, file), file);
    const { record, done } = await rt.pipelines.start({
      text,
      file,
      objective: `Architecture review of ${root}`,
      started_by: "operator:cli",
      // The reviewed repository wrote this file: it gets the tier of its own tests, not the operator's.
      max_tier: own ? TARGET_MAX_TIER : undefined,
    });
    ctx.err(`agov review  run ${record.run_id}  ${record.pipeline.name}  ${root}`);
    // A run that reaches the signoff gate is left waiting for the person, not held open here.
    const leave = rt.pipelines.watch((e) => {
      if (e.type === "stage" && e.run_id === record.run_id && e.to === "waiting")
        rt.pipelines.close();
    });
    const final = await done.finally(leave);
    const report = await buildReport(rt, final, root, advisor.name);
    const dir = values.out ? resolve(values.out) : join(ctx.config.home, "reviews");
    mkdirSync(dir, { recursive: true });
    report.files = {
      markdown: join(dir, `${final.run_id}.md`),
      json: join(dir, `${final.run_id}.json`),
    };
    const md = renderMarkdown(report);
    let failed = final.status === "failed";
    if (github) {
      try {
        report.comment = await postReport(rt, github, md, final.run_id);
        ctx.err(`agov review  posted to ${github.repo}#${github.number}: ${report.comment.url}`);
      } catch (err) {
        failed = true;
        ctx.err(`agov review  ${(err as Error).message}`);
      }
    }
    writeFileSync(report.files.markdown, md);
    writeFileSync(report.files.json, `${JSON.stringify(report, null, 2)}\n`);
    ctx.out(values.json ? JSON.stringify(report, null, 2) : md);
    ctx.err(`agov review  report: ${report.files.markdown} (and .json)`);
    return failed ? 1 : 0;
  };
  try {
    if (every === null) return await once();
    let code = 0;
    await everyInterval({
      intervalMs: every,
      signal: stopping.signal,
      sleep: (ms, signal) => wait(rt.clock, ms, signal),
      run: async () => {
        code = await once();
      },
      // One run that could not start (a pipeline error, a refused command) does not end the watch.
      onError: (err) => {
        code = 1;
        ctx.err(`agov review  run failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    });
    return code;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    for (const u of undo) u();
    unwatch();
    gateway.close();
    await rt.close();
  }
}

type Runtime = Awaited<ReturnType<typeof createRuntime>>;

/**
 * --pipeline, else the target's own .agov/review.yaml, else the bundled architecture-review. The
 * target's own file is written by whoever wrote the repository under review, so it is `own`: run
 * at most at T2 and only with the stages a review needs (see refuseBeyondReview).
 */
function pipelineSource(rt: Runtime, root: string, ref: string | undefined) {
  if (ref !== undefined) return { ...rt.pipelines.find(ref), own: false };
  const file = join(root, ".agov", "review.yaml");
  if (existsSync(file)) return { text: readFileSync(file, "utf8"), file, own: true };
  return { ...rt.pipelines.find("architecture-review"), own: false };
}

/** The tier a reviewed repository's own pipeline may ask for: that of running its tests. */
const TARGET_MAX_TIER = 2;
const REVIEW_STAGES = new Set(["watch", "suggest", "council"]);

/**
 * A reviewed repository's own pipeline may run its checks as command stages, wait at human gates
 * and name the review stages; a GitHub stage (the operator's token) or any other agent stage (the
 * operator's model) is the operator's to choose, with --pipeline.
 */
function refuseBeyondReview(def: PipelineDef, file: string): void {
  const beyond = def.stages.filter(
    (st) =>
      st.kind === "github" ||
      (st.kind === "agent" && !REVIEW_STAGES.has(st.name)) ||
      (st.kind !== "human-gate" && st.tier > TARGET_MAX_TIER),
  );
  if (beyond.length === 0) return;
  throw new AgovError(
    "DENIED",
    `review: ${file} comes from the repository under review and may only run command stages (at most T${TARGET_MAX_TIER}), human gates and the review stages (watch, suggest, council); ${beyond
      .map((st) =>
        st.kind === "github"
          ? `stage ${st.name} is a github stage (it would use the operator's GitHub token)`
          : st.kind === "agent" && !REVIEW_STAGES.has(st.name)
            ? `stage ${st.name} is not a review stage (it would run the operator's model)`
            : `stage ${st.name} (T${st.kind === "human-gate" ? "" : st.tier}) would run above T${TARGET_MAX_TIER}`,
      )
      .join("; ")}. To run it anyway, name it yourself: --pipeline ${file}`,
  );
}

async function buildReport(
  rt: Runtime,
  run: RunRecord,
  root: string,
  model: string,
): Promise<ReviewReport> {
  const artifact = async <T>(stage: string, name: string): Promise<T | null> => {
    const s = run.stages[stage];
    if (!s) return null;
    return ((await rt.state.artifacts.get(s.task_id, name))?.content as T | undefined) ?? null;
  };
  const found = await artifact<FindingsArtifact>("watch", "findings");
  const suggested = await artifact<SuggestionsArtifact>("suggest", "suggestions");
  const council = await artifact<CouncilArtifact>("council", "council-votes");
  const findings = sortFindings(found?.findings ?? []);
  const decisions = new Map((council?.decisions ?? []).map((d) => [d.proposal_id, d]));
  const reviews = (suggested?.suggestions ?? []).map(({ proposal_id, suggestion }) => {
    const d = decisions.get(proposal_id);
    return {
      proposal_id,
      suggestion,
      status: d?.status ?? "not voted",
      reason: d?.reason ?? "the council stage did not run",
      gate: d?.gate ?? false,
      votes: d?.votes ?? [],
      dissent: d?.dissent ?? [],
    };
  });
  const count = (c: string) => findings.filter((f) => f.change === c).length;
  const gateWaiting = run.stages.signoff?.status === "waiting";
  return {
    target: root,
    run_id: run.run_id,
    pipeline: run.pipeline.name,
    status: run.status,
    at: new Date(run.updated_at).toISOString(),
    model,
    checks: found?.checks ?? [],
    stages: run.pipeline.stages.map((st) => ({
      stage: st.name,
      status: run.stages[st.name]?.status ?? "pending",
      reason: run.stages[st.name]?.reason ?? null,
    })),
    summary: {
      open: findings.filter((f) => f.status === "open").length,
      new: count("new"),
      worsened: count("worsened"),
      reopened: count("reopened"),
      unchanged: count("unchanged"),
      resolved: count("resolved"),
      reviewed: reviews.length,
      accepted: reviews.filter((r) => r.status === "accepted").length,
      rejected: reviews.filter((r) => r.status === "rejected").length,
      waiting_gate: reviews.filter((r) => r.gate).length,
    },
    findings,
    reviews,
    gate: gateWaiting
      ? {
          stage: "signoff",
          approve: `agov pipeline approve ${run.run_id} signoff && agov pipeline resume ${run.run_id}`,
          reject: `agov pipeline approve ${run.run_id} signoff --reject --reason "<why>"`,
        }
      : null,
    deferred: suggested?.skipped ?? 0,
    files: null,
    comment: null,
  };
}
