// The Slack notifier on its own: what a message says (and cannot be made to say), and that a
// failing webhook never holds up the caller and is given up on within its bounds.
import { describe, expect, it } from "vitest";
import { createSlackNotifier, slackMessage } from "../../src/integrations/slack.js";
import type { Notice } from "../../src/util/notice.js";

const revoked: Notice = {
  kind: "revoked",
  agent_id: "alpha-1",
  reason: "SAME_ERROR_REPEATED",
  details: "<!channel> see <https://evil.example|the fix> & more",
  task_id: "t1",
  handoff: true,
};

describe("Slack messages", () => {
  it("escapes caller text, so it cannot mention people or forge links", () => {
    const text = JSON.stringify(slackMessage(revoked));
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<https://evil");
    expect(text).toContain("&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; more");
    expect(slackMessage(revoked).text).toBe("Agent alpha-1 was revoked: SAME_ERROR_REPEATED");
  });
});

describe("the Slack notifier", () => {
  it("returns at once, retries a failing post within its bound, then drops it with one line", async () => {
    const calls: string[] = [];
    const logs: string[] = [];
    let release: () => void = () => {};
    const answered = new Promise<void>((r) => {
      release = r;
    });
    const notifier = createSlackNotifier({
      webhookUrl: "https://hooks.example/services/SECRET",
      attempts: 3,
      backoffMs: 1,
      log: (_l, m) => {
        logs.push(m);
        release();
      },
      fetch: (async (url: string) => {
        calls.push(url);
        return new Response("no", { status: 503 });
      }) as typeof fetch,
    });
    notifier.notify(revoked);
    expect(calls.length).toBeLessThanOrEqual(1);
    await answered;
    expect(calls).toHaveLength(3);
    expect(logs).toEqual([
      "slack: dropped a revoked notice after 3 attempt(s) to hooks.example: HTTP 503",
    ]);
    await notifier.close();
  });

  it("does not retry a 4xx, keeps at most maxQueue notices, and sends only the chosen kinds", async () => {
    const sent: string[] = [];
    const logs: string[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const notifier = createSlackNotifier({
      webhookUrl: "https://hooks.example/x",
      kinds: ["revoked"],
      maxQueue: 2,
      log: (_l, m) => logs.push(m),
      fetch: (async (_url: string, init: RequestInit) => {
        await gate;
        sent.push(JSON.parse(String(init.body)).text);
        return new Response("bad", { status: 400 });
      }) as typeof fetch,
    });
    notifier.notify({
      ...revoked,
      kind: "consensus",
      proposal_id: "p",
      title: "x",
      status: "accepted",
    } as Notice);
    for (const a of ["a", "b", "c", "d"]) notifier.notify({ ...revoked, agent_id: a } as Notice);
    open();
    await notifier.close(1000);
    // "a" was being sent; "b" was dropped for room; "c" and "d" were sent; consensus never queued.
    expect(sent.map((t) => t.split(" ")[1])).toEqual(["a", "c", "d"]);
    expect(logs.filter((l) => l.includes("queue full"))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("after 1 attempt(s)"))).toHaveLength(3);
  });
});
