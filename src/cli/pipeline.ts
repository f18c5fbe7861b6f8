// agov pipeline validate|run|resume|status|approve: pipelines from the command line. A run is
// driven in this process with the bundled stage agents; each stage transition is a line on stderr.
import { TOOLS } from "../../tools/index.js";
import { defaultDirs, findPipeline, templateDirsFor } from "../pipeline/files.js";
import { PipelineError, type RunRecord } from "../pipeline/index.js";
import { loadPipeline } from "../pipeline/load.js";
import { runSummary } from "../pipeline/summary.js";
import { templateLibrary } from "../pipeline/templates.js";
import { createGateway } from "../server/gateway.js";
import { parse, UsageError } from "./args.js";
import type { CliContext } from "./context.js";
import { installStageAgents } from "./pipeline-agents.js";
import { describeDef, formatAgentEvent, formatEvent, formatRun } from "./pipeline-format.js";
import { installServices } from "./services.js";

export const PIPELINE_HELP = `Usage:
  agov pipeline validate <file|name> [--json]
      Check a pipeline: YAML, fields, roles, templates, requires, when, cycles. Each problem is
      one line: file:line: field: what is wrong. Exit 0 when valid, 1 when not.
  agov pipeline run <file|name> [--objective "<text>"] [--json]
      Run it here with the bundled stage agents (offline model when no API key is set). Each
      stage transition is a line on stderr; human gates wait for 'agov pipeline approve'.
  agov pipeline resume <run-id> [--json]
      Continue a stopped run (its runner crashed or was killed) from its last completed stage.
  agov pipeline status [<run-id>] [--json]
      A run's stages, or the most recent runs.
  agov pipeline approve <run-id> <stage> [--reject] [--reason "<text>"] [--by <name>]
      Decide a human gate the run is waiting at.

A <name> is looked up in $AGOV_HOME/pipelines, then in the pipelines shipped with agov
(infrastructure-deploy, ...). See docs/pipelines.md.`;

export async function pipelineCommand(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    ctx.out(PIPELINE_HELP);
    return sub ? 0 : 2;
  }
  const commands: Record<string, (a: string[], c: CliContext) => Promise<number>> = {
    validate,
    run,
    resume,
    status,
    approve,
  };
  const command = commands[sub];
  if (!command)
    throw new UsageError(`pipeline: unknown command "${sub}"; see 'agov pipeline --help'`);
  return command(rest, ctx);
}

function one(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1 || !positionals[0])
    throw new UsageError(`pipeline ${command}: give the ${what}; see 'agov pipeline --help'`);
  return positionals[0];
}

async function validate(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, "pipeline validate");
  const ref = one(positionals, "pipeline file or name", "validate");
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

async function run(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { objective: { type: "string" }, json: { type: "boolean" } },
    "pipeline run",
  );
  const ref = one(positionals, "pipeline file or name", "run");
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

async function resume(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, "pipeline resume");
  const runId = one(positionals, "run id", "resume");
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
  installServices(gateway);
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

async function status(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, "pipeline status");
  const rt = await ctx.runtime();
  if (positionals.length === 0) {
    const runs = await rt.pipelines.list(20);
    if (values.json) ctx.out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0)
      ctx.out("No pipeline runs yet. Start one with: agov pipeline run <file|name>");
    else
      for (const r of runs)
        ctx.out(`${r.run_id}  ${r.pipeline}  ${new Date(r.created_at).toISOString()}`);
    return 0;
  }
  const runId = one(positionals, "run id", "status");
  const record = await rt.pipelines.status(runId);
  if (!record) throw new UsageError(`pipeline status: no run ${runId}; see 'agov pipeline status'`);
  const view = runSummary(record);
  ctx.out(values.json ? JSON.stringify(view, null, 2) : formatRun(view));
  return 0;
}

async function approve(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { reject: { type: "boolean" }, reason: { type: "string" }, by: { type: "string" } },
    "pipeline approve",
  );
  if (positionals.length !== 2)
    throw new UsageError(
      "pipeline approve: give the run id and the gate's stage, e.g. agov pipeline approve <run-id> review",
    );
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
