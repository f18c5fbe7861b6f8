// agov pipeline validate|run|resume|status|approve: pipelines from the command line. A run is
// driven in this process with the bundled stage agents; each stage transition is a line on stderr.
import { TOOLS } from "../../tools/index.js";
import { defaultDirs, findPipeline, templateDirsFor } from "../pipeline/files.js";
import { PipelineError, type RunRecord } from "../pipeline/index.js";
import { loadPipeline } from "../pipeline/load.js";
import { runSummary } from "../pipeline/summary.js";
import { templateLibrary } from "../pipeline/templates.js";
import { createGateway } from "../server/gateway.js";
import { type Parsed, UsageError } from "./args.js";
import type { PIPELINE_APPROVE, PIPELINE_JSON, PIPELINE_RUN } from "./commands.js";
import type { CliContext } from "./context.js";
import { installStageAgents } from "./pipeline-agents.js";
import { describeDef, formatAgentEvent, formatEvent, formatRun } from "./pipeline-format.js";

export async function validate(
  { values, positionals }: Parsed<typeof PIPELINE_JSON>,
  ctx: CliContext,
): Promise<number> {
  const [ref] = positionals as [string]; // exactly one, as the table declares
  const dirs = defaultDirs(ctx.config.home);
  const { text, file } = findPipeline(ref, dirs);
  try {
    const def = loadPipeline(text, file, {
      templates: templateLibrary(templateDirsFor(file, dirs)),
    });
    ctx.out(values.json ? JSON.stringify(def, null, 2) : describeDef(def));
    return 0;
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    for (const line of err.message.split("\n")) ctx.err(line);
    return 1;
  }
}

export async function run(
  { values, positionals }: Parsed<typeof PIPELINE_RUN>,
  ctx: CliContext,
): Promise<number> {
  const [ref] = positionals as [string];
  return drive(ctx, !!values.json, async (rt) => {
    const { text, file } = rt.pipelines.find(ref);
    return rt.pipelines.start({
      text,
      file,
      objective: values.objective,
      started_by: "operator:cli",
    });
  });
}

export async function resume(
  { values, positionals }: Parsed<typeof PIPELINE_JSON>,
  ctx: CliContext,
): Promise<number> {
  const [runId] = positionals as [string];
  return drive(ctx, !!values.json, (rt) => rt.pipelines.resume(runId, "operator:cli"));
}

type Runtime = Awaited<ReturnType<CliContext["runtime"]>>;

/** Wires gateway + stage agents, drives the run to its end (or a signal), prints the outcome. */
async function drive(
  ctx: CliContext,
  json: boolean,
  begin: (rt: Runtime) => Promise<{ record: RunRecord; done: Promise<RunRecord> }>,
): Promise<number> {
  const rt = await ctx.runtime();
  const gateway = createGateway(rt, TOOLS);
  let runId = "";
  const model = installStageAgents(gateway, {
    config: ctx.config,
    onProgress: (e) => {
      const line = formatAgentEvent(runId, e);
      if (line) ctx.err(line);
    },
  });
  const unwatch = rt.pipelines.watch((e) => {
    const line = formatEvent(e);
    if (line) ctx.err(line);
  });
  const stop = () => rt.pipelines.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const { record, done } = await begin(rt);
    runId = record.run_id;
    ctx.err(`agov pipeline  run ${runId}  ${record.pipeline.name}  model ${model.name}`);
    const final = await done;
    const view = runSummary(final);
    ctx.out(json ? JSON.stringify(view, null, 2) : formatRun(view));
    if (final.status === "running" || final.status === "waiting") {
      ctx.err(`agov pipeline  stopped; continue with: agov pipeline resume ${runId}`);
      return 130;
    }
    return final.status === "succeeded" ? 0 : 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    unwatch();
    gateway.close();
  }
}

export async function status(
  { values, positionals: [runId] }: Parsed<typeof PIPELINE_JSON>,
  ctx: CliContext,
): Promise<number> {
  const rt = await ctx.runtime();
  if (runId === undefined) {
    const runs = await rt.pipelines.list(20);
    if (values.json) ctx.out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0)
      ctx.out("No pipeline runs yet. Start one with: agov pipeline run <file|name>");
    else
      for (const r of runs)
        ctx.out(`${r.run_id}  ${r.pipeline}  ${new Date(r.created_at).toISOString()}`);
    return 0;
  }
  const record = await rt.pipelines.status(runId);
  if (!record) throw new UsageError(`pipeline status: no run ${runId}; see 'agov pipeline status'`);
  const view = runSummary(record);
  ctx.out(values.json ? JSON.stringify(view, null, 2) : formatRun(view));
  return 0;
}

export async function approve(
  { values, positionals }: Parsed<typeof PIPELINE_APPROVE>,
  ctx: CliContext,
): Promise<number> {
  const [runId, stage] = positionals as [string, string];
  if (values.by !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.by))
    throw new UsageError(
      `pipeline approve: --by must be a name of letters, digits, . _ - (got "${values.by}")`,
    );
  const rt = await ctx.runtime();
  const d = await rt.pipelines.decide(runId, stage, {
    decision: values.reject ? "reject" : "approve",
    by: `operator:${values.by ?? "cli"}`,
    reason: values.reason,
  });
  ctx.out(
    `${d.decision === "approve" ? "approved" : "rejected"} gate ${stage} of run ${runId} as ${d.by}`,
  );
  return 0;
}
