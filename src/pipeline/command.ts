// A command stage: each `run:` step is a governed action. Its command must be granted to the
// stage's tier by policy (the policy files, or Vault's stored policy); it gets its ledger row
// before it starts (argv digest, cwd) and its outcome after (exit code, duration, output digest);
// its output becomes an artifact of the stage's task; a command that finished is on the run's
// record and never runs again on resume.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Authority } from "../authority/index.js";
import { commandPath } from "../authority/policy.js";
import { type Clock, wait } from "../util/clock.js";
import { formatDuration } from "../util/duration.js";
import { toAgovError } from "../util/errors.js";
import { argsDigest } from "../util/json.js";
import { clip } from "../util/text.js";
import type { RunCtx } from "./run-context.js";
import type { CommandStageDef, CommandStep, StepResult } from "./types.js";

/** Always passed through: what a command needs to find programs and speak the locale. */
const BASE_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"];
/** After a timeout's SIGTERM, how long the command has before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** The argv a step runs (a shell step runs its script through /bin/sh -c). */
export const argvOf = (step: CommandStep): string[] =>
  step.shell ? ["/bin/sh", "-c", step.argv[0]!] : step.argv;

/** The policy path of a step: a shell step is the command `sh -c <script>`. */
export const stepPath = (step: CommandStep): string =>
  commandPath(step.shell ? ["sh", "-c", step.argv[0]!] : step.argv);

/** The steps of a stage its tier's policy does not grant, as "argv" strings. */
export async function ungranted(authority: Authority, def: CommandStageDef) {
  const granted = await authority.tierGrants(def.tier, def.steps.map(stepPath));
  return def.steps.filter((s) => !granted.has(stepPath(s))).map((s) => s.argv.join(" "));
}

export interface CommandResult {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  duration_ms: number;
  stdout: string;
  stderr: string;
  stdout_bytes: number;
  stderr_bytes: number;
  /** sha256 over the sha256 of the full stdout and that of the full stderr. */
  output_digest: string;
  /** Why it could not start (no such program, no such directory). */
  error: string | null;
}

/** Runs one step; never throws for the command's own failure. */
export function runCommand(
  step: CommandStep,
  opts: { clock: Clock; signal: AbortSignal; baseDir: string },
): Promise<CommandResult> {
  const started = opts.clock.now();
  const cwd = resolve(opts.baseDir, step.cwd ?? ".");
  const failed = (error: string): CommandResult => ({ ...emptyResult(), error });
  if (!existsSync(cwd) || !statSync(cwd).isDirectory())
    return Promise.resolve(failed(`cwd: ${cwd} is not a directory`));
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV, ...step.env]) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  const [file, ...args] = argvOf(step);
  return new Promise((done) => {
    const child = spawn(file!, args, {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so a timeout stops what it started too.
      detached: true,
    });
    const digest = createHash("sha256");
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const size = { stdout: 0, stderr: 0 };
    const kept = { stdout: 0, stderr: 0 };
    for (const name of ["stdout", "stderr"] as const) {
      child[name].on("data", (chunk: Buffer) => {
        size[name] += chunk.length;
        const room = step.max_output - kept[name];
        if (room > 0) {
          const part = chunk.subarray(0, room);
          out[name].push(part);
          kept[name] += part.length;
        }
      });
    }
    // The digest covers stdout then stderr in full, so it is computed from the streams' ends.
    const full = { stdout: createHash("sha256"), stderr: createHash("sha256") };
    child.stdout.on("data", (c: Buffer) => full.stdout.update(c));
    child.stderr.on("data", (c: Buffer) => full.stderr.update(c));

    let timedOut = false;
    const ended = new AbortController();
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const stop = () => {
      kill("SIGTERM");
      void wait(opts.clock, KILL_GRACE_MS, ended.signal).then(() => {
        if (!ended.signal.aborted) kill("SIGKILL");
      });
    };
    void wait(opts.clock, step.timeout_ms, ended.signal).then(() => {
      if (ended.signal.aborted) return;
      timedOut = true;
      stop();
    });
    opts.signal.addEventListener("abort", stop, { once: true });
    let spawnError: string | null = null;
    child.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      spawnError =
        code === "ENOENT"
          ? `${file} is not installed here (not found on PATH)`
          : code === "EACCES"
            ? `${file} cannot be run here (permission denied)`
            : `${file}: ${code ?? err.message}`;
    });
    child.on("close", (code, signal) => {
      ended.abort();
      opts.signal.removeEventListener("abort", stop);
      digest.update(full.stdout.digest());
      digest.update(full.stderr.digest());
      done({
        exit_code: code,
        signal,
        timed_out: timedOut,
        duration_ms: opts.clock.now() - started,
        stdout: Buffer.concat(out.stdout).toString("utf8"),
        stderr: Buffer.concat(out.stderr).toString("utf8"),
        stdout_bytes: size.stdout,
        stderr_bytes: size.stderr,
        output_digest: digest.digest("hex"),
        error: spawnError,
      });
    });
  });
}

/** Runs the stage's commands that have not finished yet; returns whether all succeeded. */
export async function runCommandStage(ctx: RunCtx, def: CommandStageDef): Promise<boolean> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  const agentId = `${record.run_id}-${def.name}`;
  const finished: StepResult[] = [...(s.steps ?? [])];
  await ctx.move(
    def.name,
    "running",
    finished.length > 0
      ? `${finished.length} of ${def.steps.length} command(s) already done; going on at T${def.tier}`
      : `${def.steps.length} command(s) at T${def.tier}`,
    {
      attempts: s.attempts + 1,
      agents: s.agents.includes(agentId) ? s.agents : [...s.agents, agentId],
    },
  );
  // Asked again here, not only when the run started: a policy may have changed since.
  const refused = await ungranted(deps.authority, def);
  for (const [i, step] of def.steps.entries()) {
    if (i < finished.length) continue;
    if (ctx.signal.aborted) return false;
    const argv = argvOf(step);
    const row = {
      kind: "command" as const,
      agent_id: agentId,
      tier: def.tier,
      action: clip(`command ${step.argv.join(" ")}`, 500),
      tool: clip(argv[0]!, 200),
      args_digest: argsDigest(argv),
      detail: {
        run_id: record.run_id,
        stage: def.name,
        step: i + 1,
        cwd: step.cwd ?? ".",
        shell: step.shell,
      },
    };
    if (refused.includes(step.argv.join(" "))) {
      const why = `command ${step.argv.join(" ")} is not granted to T${def.tier} by policy (${stepPath(step)})`;
      await deps.ledger.record(
        { ...row, decision: "deny" },
        {
          success: false,
          error_type: "DENIED",
          error_reason: "COMMAND_NOT_GRANTED",
          error_message: why,
        },
      );
      await ctx.move(def.name, "failed", why.slice(0, 1000));
      return false;
    }
    // On the record before it starts: no command runs that the ledger does not show.
    const rowId = await deps.ledger.begin({ ...row, decision: "allow" });
    let result: CommandResult;
    try {
      result = await runCommand(step, {
        clock: deps.clock,
        signal: ctx.signal,
        baseDir: deps.baseDir,
      });
    } catch (err) {
      result = { ...emptyResult(), error: toAgovError(err).message };
    }
    const ok = result.error === null && result.exit_code === 0 && !result.timed_out;
    const why = result.error
      ? `could not start: ${result.error}`
      : result.timed_out
        ? `timed out after ${formatDuration(step.timeout_ms)}`
        : result.exit_code !== 0
          ? `exited with ${result.exit_code ?? result.signal}`
          : null;
    deps.ledger.complete(rowId, {
      success: ok,
      latency_us: result.duration_ms * 1000,
      ...(ok ? {} : { error_type: "FAILED", error_message: clip(why ?? "", 2000) }),
    });
    if (ctx.signal.aborted) return false;
    const taskId = s.task_id;
    await deps.state.artifacts.put(taskId, step.artifact, {
      kind: "command-output",
      content: {
        argv,
        exit_code: result.exit_code,
        signal: result.signal,
        timed_out: result.timed_out,
        duration_ms: result.duration_ms,
        stdout: result.stdout,
        stderr: result.stderr,
        stdout_bytes: result.stdout_bytes,
        stderr_bytes: result.stderr_bytes,
        truncated: result.stdout_bytes > step.max_output || result.stderr_bytes > step.max_output,
        output_digest: result.output_digest,
        error: result.error,
      },
      author: agentId,
    });
    if (!(await deps.state.tasks.artifacts(taskId)).includes(step.artifact))
      await deps.state.tasks.addArtifact(taskId, step.artifact);
    finished.push({
      argv_digest: row.args_digest,
      exit_code: result.exit_code,
      signal: result.signal,
      duration_ms: result.duration_ms,
      timed_out: result.timed_out,
      artifact: step.artifact,
    });
    const artifacts = await deps.state.tasks.artifacts(taskId);
    if (!ok) {
      await ctx.move(def.name, "failed", `${step.argv.join(" ")}: ${why}`.slice(0, 1000), {
        steps: finished,
        artifacts,
      });
      return false;
    }
    await ctx.move(def.name, "running", `command ${i + 1} of ${def.steps.length} done (exit 0)`, {
      steps: finished,
      artifacts,
    });
  }
  await ctx.move(def.name, "succeeded", `${def.steps.length} command(s) exited 0`);
  return true;
}

/** A command that never ran: nothing written, the digest of no output. */
function emptyResult(): CommandResult {
  return {
    exit_code: null,
    signal: null,
    timed_out: false,
    duration_ms: 0,
    stdout: "",
    stderr: "",
    stdout_bytes: 0,
    stderr_bytes: 0,
    output_digest: createHash("sha256").digest("hex"),
    error: null,
  };
}
