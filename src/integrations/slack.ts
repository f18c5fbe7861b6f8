// Slack notices through an incoming webhook: short Block Kit messages for the notices the
// configuration chooses. Posting is off the governed path: notify() queues and returns; a worker
// posts one message at a time with a timeout, retries a failed post a bounded number of times, and
// drops what it cannot deliver with one log line, so a Slack outage never blocks or fails a call.
import type { Notice, NoticeKind, Notifier } from "../util/notice.js";

export interface SlackOptions {
  webhookUrl: string;
  /** Which notices are sent (all when omitted). */
  kinds?: readonly NoticeKind[];
  log(level: "warn" | "info", msg: string): void;
  /** Per post. */
  timeoutMs?: number;
  /** Attempts per message, the first included. */
  attempts?: number;
  /** Wait before the second attempt; doubled after each. */
  backoffMs?: number;
  /** Messages waiting at most; beyond it the oldest is dropped. */
  maxQueue?: number;
  fetch?: typeof fetch;
}

const ts = (ms: number | null) => (ms === null ? "no deadline" : new Date(ms).toISOString());
/** Slack's mrkdwn: &, < and > are escaped so caller text cannot mention users or forge links. */
const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").slice(0, 500);
const code = (s: string) => `\`${esc(s).replace(/`/g, "'")}\``;

/** The message for a notice: a one-line text (for notifications) and Block Kit blocks. */
export function slackMessage(n: Notice): { text: string; blocks: unknown[] } {
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
  const context = (text: string) => ({
    type: "context",
    elements: [{ type: "mrkdwn", text }],
  });
  switch (n.kind) {
    case "gate_waiting": {
      const text = `Pipeline ${n.pipeline}: run ${n.run_id} waits at gate ${n.stage}`;
      return {
        text,
        blocks: [
          section(`:raised_hand: *${esc(text)}*\n${esc(n.prompt)}`),
          context(
            `Approve: ${code(`agov pipeline approve ${n.run_id} ${n.stage}`)} · reject: ${code(`agov pipeline approve ${n.run_id} ${n.stage} --reject`)} · until ${ts(n.deadline)}`,
          ),
        ],
      };
    }
    case "revoked": {
      const text = `Agent ${n.agent_id} was revoked: ${n.reason}`;
      return {
        text,
        blocks: [
          section(`:no_entry: *${esc(text)}*\n${esc(n.details)}`),
          context(
            n.task_id
              ? `Task ${code(n.task_id)} · ${n.handoff ? "a handoff was written for its successor" : "no handoff"}`
              : "No task in progress",
          ),
        ],
      };
    }
    case "pipeline_finished": {
      const icon = n.status === "succeeded" ? ":white_check_mark:" : ":x:";
      const text = `Pipeline ${n.pipeline}: run ${n.run_id} ${n.status}`;
      return {
        text,
        blocks: [
          section(`${icon} *${esc(text)}*${n.reason ? `\n${esc(n.reason)}` : ""}`),
          context(`Details: ${code(`agov pipeline status ${n.run_id}`)}`),
        ],
      };
    }
    case "consensus": {
      const text = `Consensus on task ${n.task_id}: "${n.title}" ${n.status}`;
      return { text, blocks: [section(`:ballot_box_with_check: *${esc(text)}*`)] };
    }
  }
}

export function createSlackNotifier(opts: SlackOptions): Notifier {
  const kinds = new Set(
    opts.kinds ?? ["gate_waiting", "revoked", "pipeline_finished", "consensus"],
  );
  const post = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const attempts = opts.attempts ?? 3;
  const backoffMs = opts.backoffMs ?? 1000;
  const maxQueue = opts.maxQueue ?? 100;
  const queue: Notice[] = [];
  let working: Promise<void> | null = null;
  let closing = false;
  /** Ends a retry's wait early (at close). */
  let wake: (() => void) | null = null;
  const where = (() => {
    // Never the webhook's path: it is the secret.
    try {
      return new URL(opts.webhookUrl).host;
    } catch {
      return "the Slack webhook";
    }
  })();

  async function send(n: Notice): Promise<void> {
    const body = JSON.stringify(slackMessage(n));
    let delay = backoffMs;
    for (let attempt = 1; ; attempt++) {
      let why: string;
      let final = false;
      try {
        const res = await post(opts.webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        // A 4xx other than 429 will not get better by retrying.
        if (res.status >= 400 && res.status < 500 && res.status !== 429) final = true;
      } catch (err) {
        why =
          (err as Error).name === "TimeoutError"
            ? `no answer in ${timeoutMs} ms`
            : (err as Error).message;
      }
      if (final || attempt >= attempts || closing) {
        opts.log(
          "warn",
          `slack: dropped a ${n.kind} notice after ${attempt} attempt(s) to ${where}: ${why}`,
        );
        return;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        t.unref();
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = null;
      delay *= 2;
    }
  }

  function drain(): void {
    if (working) return;
    working = (async () => {
      for (let n = queue.shift(); n; n = queue.shift()) await send(n);
    })().finally(() => {
      working = null;
      if (queue.length > 0 && !closing) drain();
    });
  }

  return {
    notify(n) {
      if (!kinds.has(n.kind) || closing) return;
      if (queue.length >= maxQueue) {
        const dropped = queue.shift()!;
        opts.log("warn", `slack: queue full (${maxQueue}); dropped a ${dropped.kind} notice`);
      }
      queue.push(n);
      drain();
    },
    async close(ms = 2000) {
      // What is queued gets one more try each, within `ms`; a failing one is not retried.
      closing = true;
      (wake as (() => void) | null)?.();
      const pending = working;
      if (pending) await Promise.race([pending, new Promise((r) => setTimeout(r, ms).unref())]);
      if (queue.length > 0)
        opts.log("warn", `slack: dropped ${queue.length} notice(s) at shutdown`);
      queue.length = 0;
    },
  };
}
