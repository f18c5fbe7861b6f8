// A GitHub stage: one governed call of GitHub's REST API (open a pull request, comment on one, set
// a commit status, merge one), on the ledger before it is sent and with its answer after, its
// result (number, URL) the stage's artifact. The client is given by the runtime; without a token
// the stage fails saying so.
import { argsDigest } from "../util/json.js";
import { clip } from "../util/text.js";
import { stageArtifacts, withArtifacts } from "./load.js";
import type { RunCtx } from "./run-context.js";
import type { GithubStageDef } from "./types.js";

/** The GitHub REST calls a stage makes; the runtime supplies one (src/integrations/github.ts). */
export interface GitHubClient {
  /** Where it sends requests (for messages; never with the token). */
  readonly apiUrl: string;
  readonly configured: boolean;
  openPullRequest(
    repo: string,
    pr: { head: string; base: string; title: string; body: string },
  ): Promise<{ number: number; url: string }>;
  comment(repo: string, number: number, body: string): Promise<{ id: number; url: string }>;
  setStatus(
    repo: string,
    sha: string,
    s: { state: string; context: string; description: string },
  ): Promise<{ id: number }>;
  merge(repo: string, number: number, method: string): Promise<{ sha: string; merged: boolean }>;
  /** The reviews of a pull request, oldest first. */
  reviews(repo: string, number: number): Promise<Array<{ user: string; state: string }>>;
}

/** The tier each action needs at least (merging also needs a human gate before it). */
export const GITHUB_ACTION_TIER = {
  open_pull_request: 2,
  comment: 2,
  status: 2,
  merge: 3,
  wait_for_review: 2,
} as const;

/** Each reviewer's latest say: approved when some approve and none asks for changes. */
export function reviewVerdict(reviews: ReadonlyArray<{ user: string; state: string }>): {
  state: "approved" | "changes_requested" | "pending";
  by: string[];
} {
  const latest = new Map<string, string>();
  for (const r of reviews)
    if (r.state !== "COMMENTED" && r.state !== "PENDING") latest.set(r.user, r.state);
  const changes = [...latest].filter(([, s]) => s === "CHANGES_REQUESTED").map(([u]) => u);
  if (changes.length > 0) return { state: "changes_requested", by: changes };
  const approved = [...latest].filter(([, s]) => s === "APPROVED").map(([u]) => u);
  return approved.length > 0 ? { state: "approved", by: approved } : { state: "pending", by: [] };
}

export async function runGithubStage(ctx: RunCtx, def: GithubStageDef): Promise<boolean> {
  const { record, deps } = ctx;
  const s = record.stages[def.name]!;
  const agentId = `${record.run_id}-${def.name}`;
  const gh = deps.github;
  await ctx.move(def.name, "running", `GitHub ${def.action} on ${def.repo} at T${def.tier}`, {
    attempts: s.attempts + 1,
    agents: s.agents.includes(agentId) ? s.agents : [...s.agents, agentId],
  });
  if (!gh?.configured) {
    await ctx.move(
      def.name,
      "failed",
      "GitHub is not configured: set GITHUB_TOKEN (and AGOV_GITHUB_API_URL for GitHub Enterprise)",
    );
    return false;
  }
  const artifactOf = stageArtifacts(deps.state, record);
  const fill = (text: string) => withArtifacts(text, artifactOf);
  /** The pull request a comment or merge is about: its own number, or the one a stage opened. */
  const prNumber = async (): Promise<number | null> => {
    if (def.number !== null) return def.number;
    if (!def.pull_request_of) return null;
    const res = await artifactOf(def.pull_request_of, `${def.pull_request_of}-result`);
    const n = (res as { number?: unknown } | undefined)?.number;
    return typeof n === "number" ? n : null;
  };
  const row = {
    kind: "integration" as const,
    agent_id: agentId,
    tier: def.tier,
    action: clip(`github ${def.action} ${def.repo}`, 500),
    tool: `github.${def.action}`,
    args_digest: argsDigest({ repo: def.repo, action: def.action, fields: def.fields }),
    detail: { run_id: record.run_id, stage: def.name, repo: def.repo, api: gh.apiUrl },
  };
  const rowId = await deps.ledger.begin({ ...row, decision: "allow" });
  const started = deps.clock.now();
  let result: Record<string, unknown>;
  try {
    const f = def.fields;
    switch (def.action) {
      case "open_pull_request":
        result = await gh.openPullRequest(def.repo, {
          head: f.head!,
          base: f.base!,
          title: await fill(f.title!),
          body: await fill(f.body ?? ""),
        });
        break;
      case "comment": {
        const n = await prNumber();
        if (n === null)
          throw new Error(`no pull request: stage ${def.pull_request_of} opened none`);
        result = { number: n, ...(await gh.comment(def.repo, n, await fill(f.body!))) };
        break;
      }
      case "status":
        result = await gh.setStatus(def.repo, f.sha!, {
          state: f.state!,
          context: f.context ?? "agov",
          description: await fill(f.description ?? ""),
        });
        break;
      case "wait_for_review": {
        const n = await prNumber();
        if (n === null)
          throw new Error(`no pull request: stage ${def.pull_request_of} opened none`);
        const deadline = deps.clock.now() + def.timeout_ms;
        await ctx.move(def.name, "waiting", `waiting for a review of ${def.repo}#${n}`, {
          deadline,
        });
        for (;;) {
          const verdict = reviewVerdict(await gh.reviews(def.repo, n));
          if (verdict.state === "approved") {
            result = { number: n, approved_by: verdict.by };
            break;
          }
          if (verdict.state === "changes_requested")
            throw new Error(`${def.repo}#${n}: changes requested by ${verdict.by.join(", ")}`);
          if (deps.clock.now() >= deadline)
            throw new Error(
              `${def.repo}#${n}: no approving review within ${def.timeout_ms / 60_000} min`,
            );
          await deps.sleep(deps.pollMs, ctx.signal);
          if (ctx.signal.aborted) throw new Error("the runner was stopped");
          await ctx.keepAlive();
        }
        break;
      }
      case "merge": {
        const n = await prNumber();
        if (n === null)
          throw new Error(`no pull request: stage ${def.pull_request_of} opened none`);
        result = { number: n, ...(await gh.merge(def.repo, n, f.method ?? "merge")) };
        break;
      }
    }
  } catch (err) {
    const why = clip((err as Error).message, 1000) ?? "failed";
    deps.ledger.complete(rowId, {
      success: false,
      error_type: "FAILED",
      error_message: why,
      latency_us: (deps.clock.now() - started) * 1000,
    });
    // Stopped from outside: the stage stays as it is on record, and a resume takes it up again.
    if (ctx.signal.aborted) return false;
    await ctx.move(def.name, "failed", `GitHub ${def.action} on ${def.repo}: ${why}`);
    return false;
  }
  deps.ledger.complete(rowId, { success: true, latency_us: (deps.clock.now() - started) * 1000 });
  const name = `${def.name}-result`;
  await deps.state.artifacts.put(s.task_id, name, {
    kind: "github",
    content: { action: def.action, repo: def.repo, ...result },
    author: agentId,
  });
  if (!(await deps.state.tasks.artifacts(s.task_id)).includes(name))
    await deps.state.tasks.addArtifact(s.task_id, name);
  await ctx.move(def.name, "succeeded", `GitHub ${def.action} on ${def.repo} done`, {
    artifacts: await deps.state.tasks.artifacts(s.task_id),
  });
  return true;
}
