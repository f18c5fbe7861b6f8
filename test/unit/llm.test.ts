// The LLM model through the real `openai` client against a local OpenAI-compatible server that
// misbehaves on cue: retries, backoff requests (injected sleep), Retry-After and typed final errors.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLlmModel, type LlmOptions } from "../../agents/llm.js";
import { type AttemptFailure, createModel, type ModelRequest } from "../../agents/model.js";
import { ModelError } from "../../agents/model-error.js";
import { Vote } from "../../agents/schemas.js";
import {
  answer,
  completion,
  type FakeOpenAI,
  rawAnswer,
  startFakeOpenAI,
} from "../support/fake-openai.js";

const GOOD_VOTE = { proposal_title: "BETA: lean design", vote: "reject", reason: "No replay." };

let fake: FakeOpenAI;
let sleeps: number[];
let failures: AttemptFailure[];

beforeEach(async () => {
  fake = await startFakeOpenAI();
  sleeps = [];
  failures = [];
});
afterEach(() => fake.close());

function model(opts: LlmOptions = {}) {
  return createLlmModel(
    { provider: "openai", baseURL: fake.url, apiKey: "sk-test", model: "test-model" },
    {
      baseDelayMs: 100,
      timeoutMs: 100,
      // An attempt times out when the fake holds its request, never because a busy machine made
      // an ordinary answer slow.
      deadline: (_ms, signal) => fake.held(signal),
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...opts,
    },
  );
}

const request = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  role: "ALPHA",
  kind: "vote",
  objective: "Design a distributed event-driven analytics platform",
  context: { proposal: { title: "BETA: lean design" } },
  onAttemptFailed: (f) => {
    failures.push(f);
  },
  ...extra,
});

describe("LLM model", () => {
  it("retries bad JSON, schema misses, 429, 500 and a timeout, then returns the validated answer", async () => {
    fake.script.push(
      rawAnswer("{ not json"),
      answer({ proposal_title: "x", vote: "maybe", reason: "?" }),
      { status: 429, json: { error: { message: "slow down" } }, headers: { "retry-after": "7" } },
      { status: 500, json: { error: { message: "boom" } } },
      "hang",
      answer(GOOD_VOTE),
    );
    const vote = await model({ maxAttempts: 6, timeoutMs: 100 }).generate(request(), Vote);

    expect(vote).toEqual(GOOD_VOTE);
    expect(fake.requests).toHaveLength(6);
    expect(failures.map((f) => f.kind)).toEqual([
      "malformed_output",
      "malformed_output",
      "rate_limited",
      "server_error",
      "timeout",
    ]);
    // Backoff doubles from 100 ms with jitter fixed at 0.5 (75% of the step); the 429 waits its 7 s.
    // Five provider faults in a row (malformed replies are the provider's too) open the shared
    // breaker, so the sixth attempt first waits out its 2 s cool-down.
    // The last wait is what is left of the cool-down, which started a moment (real time) before.
    expect(sleeps.slice(0, 5)).toEqual([75, 150, 7000, 600, 1200]);
    expect(sleeps[5]).toBeGreaterThan(1900);
    expect(sleeps[5]).toBeLessThanOrEqual(2000);
    expect(failures.map((f) => f.delayMs)).toEqual(sleeps.slice(0, 5));
    expect(failures[2]).toMatchObject({ role: "ALPHA", attempt: 3, status: 429 });
  });

  it("asks for a JSON object, with the schema in the prompt, and shows a rejected reply back", async () => {
    fake.script.push(answer({ vote: "approve" }), answer(GOOD_VOTE));
    await model().generate(request(), Vote);

    const [first, second] = fake.requests.map((r) => r.body);
    expect(first).toMatchObject({ model: "test-model", response_format: { type: "json_object" } });
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-test");
    const prompt = JSON.stringify(first?.messages);
    expect(prompt).toContain("You are ALPHA");
    expect(prompt).toContain("Design a distributed event-driven analytics platform");
    expect(prompt).toContain('\\"proposal_title\\"'); // the JSON Schema of Vote
    const retry = second?.messages as { role: string; content: string }[];
    expect(retry.at(-2)).toEqual({ role: "assistant", content: '{"vote":"approve"}' });
    expect(retry.at(-1)?.content).toMatch(
      /rejected: reply does not match the schema: proposal_title/,
    );
  });

  it("accepts JSON wrapped in a Markdown fence", async () => {
    fake.script.push(rawAnswer(`\`\`\`json\n${JSON.stringify(GOOD_VOTE)}\n\`\`\``));
    expect(await model().generate(request(), Vote)).toEqual(GOOD_VOTE);
  });

  it("throws a typed server_error after the last attempt", async () => {
    for (let i = 0; i < 3; i++)
      fake.script.push({ status: 503, json: { error: { message: "down" } } });
    const err = await model()
      .generate(request(), Vote)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: "server_error", attempts: 3, status: 503, retryable: true });
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([75, 150]); // no sleep after the last attempt
  });

  it("gives up with malformed_output, rate_limited and timeout errors of their own kind", async () => {
    fake.script.push(rawAnswer("nope"), rawAnswer("still nope"));
    await expect(model({ maxAttempts: 2 }).generate(request(), Vote)).rejects.toMatchObject({
      kind: "malformed_output",
      attempts: 2,
    });

    fake.script.push(
      { status: 429, headers: { "retry-after-ms": "250" } },
      { status: 429, headers: { "retry-after": "120" } },
    );
    sleeps = [];
    await expect(model({ maxAttempts: 2 }).generate(request(), Vote)).rejects.toMatchObject({
      kind: "rate_limited",
      attempts: 2,
    });
    expect(sleeps).toEqual([250]);

    fake.script.push({ status: 429, headers: { "retry-after": "120" } }, answer(GOOD_VOTE));
    sleeps = [];
    await model({ maxRetryAfterMs: 60_000 }).generate(request(), Vote);
    expect(sleeps).toEqual([60_000]); // a huge Retry-After is capped

    fake.script.push("hang", "hang");
    await expect(
      model({ maxAttempts: 2, timeoutMs: 100 }).generate(request(), Vote),
    ).rejects.toMatchObject({
      kind: "timeout",
      attempts: 2,
    });
  });

  it("shares one breaker across requests: after five outage failures in a row the next request waits out its cool-down first", async () => {
    const m = model({ maxAttempts: 3, now: () => 0 });
    for (let i = 0; i < 5; i++)
      fake.script.push({ status: 503, json: { error: { message: "down" } } });
    fake.script.push(answer(GOOD_VOTE));
    const first = await m.generate(request(), Vote).catch((e: unknown) => e);
    expect(first).toMatchObject({ kind: "server_error", outage: true });
    expect(failures.every((f) => f.outage)).toBe(true);
    sleeps = [];
    // Two more 503s open the breaker (five in a row); the third try waits its 2 s cool-down.
    expect(await m.generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(sleeps).toEqual([75, 150, 2000]);
    expect(fake.requests).toHaveLength(6);
  });

  it("does not retry a 400: the request the agent built was refused, its own fault", async () => {
    fake.script.push(
      { status: 400, json: { error: { message: "context length exceeded" } } },
      answer(GOOD_VOTE),
    );
    await expect(model().generate(request(), Vote)).rejects.toMatchObject({
      kind: "client_error",
      attempts: 1,
      status: 400,
      retryable: false,
      outage: false,
    });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("blames the endpoint, not the agent, for a refused key or an unknown model (401, 403, 404)", async () => {
    for (const status of [401, 403, 404]) {
      fake.requests.length = 0;
      fake.script.push({ status, json: { error: { message: "invalid api key" } } });
      const err = await model()
        .generate(request(), Vote)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "endpoint_refused", status, outage: true, attempts: 1 });
      expect((err as Error).message).toContain(fake.url);
      expect(fake.requests).toHaveLength(1);
    }
  });

  it("counts malformed replies as the provider's fault: they open the shared breaker", async () => {
    const m = model({ maxAttempts: 5, now: () => 0 });
    for (let i = 0; i < 5; i++) fake.script.push(rawAnswer("<html>502 Bad Gateway</html>"));
    const err = await m.generate(request(), Vote).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "malformed_output", outage: true });
    expect(failures.every((f) => f.outage)).toBe(true);
    fake.script.push(answer(GOOD_VOTE));
    sleeps = [];
    expect(await m.generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(sleeps).toEqual([2000]); // the breaker's cool-down before the next request
  });

  it("sends max_tokens only when configured", async () => {
    fake.script.push(answer(GOOD_VOTE), answer(GOOD_VOTE));
    await model().generate(request(), Vote);
    await model({ maxTokens: 512 }).generate(request(), Vote);
    expect(fake.requests.map((r) => r.body.max_tokens)).toEqual([undefined, 512]);
  });

  it("retries an upstream error that OpenRouter reports inside a 200 body", async () => {
    fake.script.push({ status: 200, json: { error: { code: 502, message: "upstream" } } });
    fake.script.push(answer(GOOD_VOTE));
    expect(await model().generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(failures[0]).toMatchObject({ kind: "server_error", status: 502 });
  });

  it("treats a 200 whose body is not JSON as the endpoint's fault, and retries it", async () => {
    fake.script.push({ status: 200, raw: "<html>bad gateway</html>" }, answer(GOOD_VOTE));
    expect(await model().generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(failures[0]?.kind).toBe("server_error");
  });

  it("stops when the failure hook throws, as it does for a revoked agent", async () => {
    fake.script.push({ status: 500 }, answer(GOOD_VOTE));
    const revoked = request({
      onAttemptFailed: () => {
        throw new Error("REVOKED");
      },
    });
    await expect(model().generate(revoked, Vote)).rejects.toThrow("REVOKED");
    expect(fake.requests).toHaveLength(1);
  });

  it("stops waiting out a backoff when the run is cancelled", async () => {
    const controller = new AbortController();
    fake.script.push({ status: 500 }, answer(GOOD_VOTE));
    // The real sleep, with a backoff far longer than the test: only the abort can end it.
    const pending = model({ sleep: undefined, baseDelayMs: 600_000 }).generate(
      request({
        signal: controller.signal,
        onAttemptFailed: () => controller.abort(new Error("run cancelled")),
      }),
      Vote,
    );
    await expect(pending).rejects.toThrow("run cancelled");
    expect(fake.requests).toHaveLength(1);
  });

  it("aborts an attempt in flight without retrying it", async () => {
    const controller = new AbortController();
    fake.setOnRequest(() => controller.abort(new Error("run cancelled")));
    fake.script.push("hang", answer(GOOD_VOTE));
    const pending = model({ timeoutMs: 30_000, deadline: () => new Promise(() => {}) }).generate(
      request({ signal: controller.signal }),
      Vote,
    );
    await expect(pending).rejects.toThrow("run cancelled");
    expect(fake.requests).toHaveLength(1);
    expect(failures).toEqual([]);
  });
});

describe("createModel", () => {
  it("uses OpenRouter when OPENROUTER_API_KEY is set", async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const fetchStub: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return new Response(JSON.stringify(completion(JSON.stringify(GOOD_VOTE))), {
        headers: { "content-type": "application/json" },
      });
    };
    const m = createModel(
      { OPENROUTER_API_KEY: "or-key", OPENAI_BASE_URL: fake.url },
      { fetch: fetchStub },
    );
    expect(m.name).toBe("openrouter:openai/gpt-4o-mini");
    expect(await m.generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(seen[0]?.url).toBe("https://openrouter.ai/api/v1/chat/completions");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer or-key");
    expect(fake.requests).toHaveLength(0);
  });

  it("uses any OpenAI-compatible endpoint from OPENAI_BASE_URL, with AGOV_MODEL", async () => {
    fake.script.push(answer(GOOD_VOTE));
    const m = createModel({ OPENAI_BASE_URL: fake.url, AGOV_MODEL: "local-llama" });
    expect(m.name).toBe("openai:local-llama");
    expect(await m.generate(request(), Vote)).toEqual(GOOD_VOTE);
    expect(fake.requests[0]?.body.model).toBe("local-llama");
  });

  it("falls back to the offline model with no key, or when asked to", () => {
    expect(createModel({}).name).toBe("offline");
    expect(createModel({ OPENAI_API_KEY: "sk" }, { offline: true }).name).toBe("offline");
    expect(createModel({ OPENAI_API_KEY: "sk" }).name).toBe("openai:gpt-4o-mini");
  });
});
