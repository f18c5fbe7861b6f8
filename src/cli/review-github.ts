// `agov review --github owner/repo#N`: the review's report as a comment on an issue or pull
// request, with the GitHub integration's token (GITHUB_TOKEN) — one call, on the ledger before it
// is sent and with its answer after, as a github pipeline stage's call is.
import { createGitHub } from "../integrations/github.js";
import type { Runtime } from "../runtime.js";
import { argsDigest } from "../util/json.js";
import { clip } from "../util/text.js";
import { UsageError } from "./args.js";

/** GitHub refuses a comment body over 65,536 characters. */
const BODY_MAX = 60_000;

export interface CommentTarget {
  repo: string;
  number: number;
}

/** Parses `owner/repo#N`; a usage error naming the form otherwise. */
export function commentTarget(text: string): CommentTarget {
  const m = /^([A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})#([1-9]\d{0,9})$/.exec(text);
  if (!m)
    throw new UsageError(
      `review: --github takes owner/repo#number, the issue or pull request to comment on (got "${text}")`,
    );
  return { repo: m[1]!, number: Number(m[2]) };
}

export async function postReport(
  rt: Runtime,
  target: CommentTarget,
  body: string,
  runId: string,
): Promise<{ url: string }> {
  const gh = createGitHub({ apiUrl: rt.config.github_api_url, token: rt.config.github_token });
  const rowId = await rt.ledger.begin({
    kind: "integration",
    agent_id: "operator:cli",
    action: clip(`github comment ${target.repo}#${target.number}`, 500),
    tool: "github.comment",
    args_digest: argsDigest({ ...target, run_id: runId }),
    detail: { run_id: runId, repo: target.repo, number: target.number, api: gh.apiUrl },
    decision: "allow",
  });
  const started = rt.clock.now();
  const text =
    body.length > BODY_MAX
      ? `${body.slice(0, BODY_MAX)}\n\n… (cut; the whole report is in the run's report file)\n`
      : body;
  try {
    const res = await gh.comment(target.repo, target.number, text);
    rt.ledger.complete(rowId, { success: true, latency_us: (rt.clock.now() - started) * 1000 });
    return { url: res.url };
  } catch (err) {
    const why = clip((err as Error).message, 1000) ?? "failed";
    rt.ledger.complete(rowId, {
      success: false,
      error_type: "FAILED",
      error_message: why,
      latency_us: (rt.clock.now() - started) * 1000,
    });
    throw new Error(`the report could not be posted to ${target.repo}#${target.number}: ${why}`);
  }
}
