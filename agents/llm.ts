// The model on the `openai` package against any OpenAI-compatible endpoint: JSON replies validated
// with zod, with our own retries (backoff, jitter, Retry-After) and a typed ModelError at the end.
import { setTimeout as delay } from "node:timers/promises";
import OpenAI from "openai";
import type { z } from "zod";
import { buildMessages, type ChatMessage, correction } from "./llm-prompts.js";
import type { Model, ModelRequest } from "./model.js";
import { createModelBreaker, type ModelBreaker } from "./model-breaker.js";
import { ModelError, type ModelErrorKind, OUTAGE_KINDS } from "./model-error.js";

export interface LlmConfig {
  /** Used in `name` only: "openrouter" or "openai". */
  provider: string;
  baseURL: string;
  apiKey: string;
  model: string;
  headers?: Record<string, string>;
}

export interface LlmOptions {
  /** Attempts per request, the first included (default 3). */
  maxAttempts?: number;
  /** The breaker shared by every request of this model (default: one of its own). */
  breaker?: ModelBreaker;
  /** Per attempt (default 60 s). */
  timeoutMs?: number;
  /** First backoff step; doubles per attempt up to maxDelayMs (defaults 500 ms, 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is cut to it (default 60 s). */
  maxRetryAfterMs?: number;
  /** Sent only when set: some models accept no temperature but their own. */
  temperature?: number;
  /** The most tokens a reply may use (`max_tokens`); unset: the endpoint's default. */
  maxTokens?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Resolves when an attempt's time is up (default: timeoutMs of real time); rejected or never
   * settled otherwise. Aborted when the attempt ends. Tests end a held request without a clock.
   */
  deadline?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
}

interface Failure {
  kind: ModelErrorKind;
  message: string;
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
}

type Outcome = { ok: true; value: unknown } | { ok: false; failure: Failure; reply?: string };

const RETRYABLE: ReadonlySet<ModelErrorKind> = new Set([
  "malformed_output",
  "timeout",
  "rate_limited",
  "server_error",
]);

export function createLlmModel(config: LlmConfig, opts: LlmOptions = {}): Model {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const sleep =
    opts.sleep ??
    (async (ms: number, signal?: AbortSignal) => {
      await delay(ms, undefined, { signal }).catch((err: unknown) => {
        signal?.throwIfAborted(); // surface the caller's reason, not a generic AbortError
        throw err;
      });
    });
  const random = opts.random ?? Math.random;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline =
    opts.deadline ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const now = opts.now ?? Date.now;
  // Shared by both peers using this model: one endpoint outage, one breaker, one wait.
  const breaker = opts.breaker ?? createModelBreaker({ now });
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    // Explicit, so org/project settings in the environment cannot leak into requests.
    adminAPIKey: null,
    organization: null,
    project: null,
    // Ours are the only retries, so that every failed attempt is seen, counted and reported.
    maxRetries: 0,
    // The per-attempt deadline is ours (below); the client's own is only a far backstop.
    timeout: 24 * 3_600_000,
    defaultHeaders: config.headers,
    fetch: opts.fetch,
    // Failures surface as ModelError; the client's own console warnings would only duplicate them.
    logLevel: "off",
  });

  // Exponential backoff with "equal jitter": never less than half the step, so retries spread
  // out without collapsing to zero.
  const backoff = (attempt: number): number => {
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (random() * step) / 2);
  };

  async function attemptOnce(
    messages: ChatMessage[],
    req: ModelRequest,
    schema: z.ZodType,
  ): Promise<Outcome> {
    let completion: unknown;
    // The openai client leaves an abort listener on the signal it is given; a run's signal lives
    // for the whole run, so each request gets its own, linked only while it is in flight.
    const own = new AbortController();
    const forward = () => own.abort(req.signal?.reason);
    if (req.signal?.aborted) own.abort(req.signal.reason);
    else req.signal?.addEventListener("abort", forward, { once: true });
    const attempt = new AbortController();
    let timedOut = false;
    deadline(timeoutMs, attempt.signal).then(
      () => {
        if (attempt.signal.aborted) return;
        timedOut = true;
        own.abort();
      },
      () => {},
    );
    try {
      completion = await client.chat.completions.create(
        {
          model: config.model,
          messages,
          response_format: { type: "json_object" },
          // Unset by default: some models refuse any temperature but their own.
          ...(opts.temperature !== undefined && { temperature: opts.temperature }),
          ...(opts.maxTokens !== undefined && { max_tokens: opts.maxTokens }),
        },
        { signal: own.signal },
      );
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      if (timedOut)
        return {
          ok: false,
          failure: { kind: "timeout", message: `no answer within ${timeoutMs} ms`, cause: err },
        };
      return { ok: false, failure: classify(err, now) };
    } finally {
      attempt.abort();
      req.signal?.removeEventListener("abort", forward);
    }
    return readReply(completion, schema);
  }

  return {
    name: `${config.provider}:${config.model}`,
    endpoint: config.baseURL,
    async generate<T>(req: ModelRequest, schema: z.ZodType<T>): Promise<T> {
      const base = buildMessages(req, schema);
      let messages = base;
      for (let attempt = 1; ; attempt++) {
        req.signal?.throwIfAborted();
        // An open breaker: the endpoint is down, so wait out its cool-down rather than ask.
        const wait = breaker.waitMs();
        if (wait > 0) await sleep(wait, req.signal);
        const outcome = await attemptOnce(messages, req, schema);
        // Provider faults (down, refusing the key, answering garbage) count against the breaker;
        // only an answer, or a refusal of the agent's own request, shows the endpoint is working.
        const outage = !outcome.ok && OUTAGE_KINDS.has(outcome.failure.kind);
        if (outage) breaker.failure();
        else breaker.success();
        if (outcome.ok) return outcome.value as T;
        const { failure } = outcome;
        if (!RETRYABLE.has(failure.kind) || attempt >= maxAttempts) {
          throw new ModelError(
            failure.kind,
            `${config.provider}:${config.model} at ${config.baseURL}: ${req.kind} for ${req.role} failed after ` +
              `${attempt} attempt${attempt === 1 ? "" : "s"}: ${failure.message}`,
            attempt,
            failure.status,
            { cause: failure.cause },
          );
        }
        // Only the last correction is kept: the prompt stays bounded however often the model errs.
        if (outcome.reply !== undefined)
          messages = [...base, ...correction(outcome.reply, failure.message)];
        const delayMs =
          failure.retryAfterMs !== undefined
            ? Math.min(failure.retryAfterMs, maxRetryAfterMs)
            : backoff(attempt);
        await req.onAttemptFailed?.({
          role: req.role,
          kind: failure.kind,
          attempt,
          message: failure.message,
          ...(failure.status !== undefined && { status: failure.status }),
          delayMs,
          outage,
        });
        await sleep(delayMs, req.signal);
      }
    },
  };
}

/** A 200 reply is still a failure if it carries an error, no content, or JSON the schema refuses. */
function readReply(completion: unknown, schema: z.ZodType): Outcome {
  const body = completion as {
    error?: { code?: unknown; message?: unknown };
    choices?: { message?: { content?: string | null }; finish_reason?: string }[];
  };
  // OpenRouter reports some upstream failures inside a 200 body.
  if (body.error) {
    const status = typeof body.error.code === "number" ? body.error.code : 502;
    return { ok: false, failure: byStatus(status, String(body.error.message ?? "upstream error")) };
  }
  const choice = body.choices?.[0];
  const reply = choice?.message?.content ?? "";
  if (!reply.trim()) {
    const why =
      choice?.finish_reason === "length" ? "reply cut off at the token limit" : "empty reply";
    return { ok: false, failure: { kind: "malformed_output", message: why }, reply };
  }
  let json: unknown;
  try {
    json = JSON.parse(stripFences(reply));
  } catch (err) {
    const message = `reply is not JSON (${(err as Error).message})`;
    return { ok: false, failure: { kind: "malformed_output", message }, reply };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  return {
    ok: false,
    failure: { kind: "malformed_output", message: `reply does not match the schema: ${issues}` },
    reply,
  };
}

/** Models in JSON mode still sometimes wrap the object in a Markdown code fence. */
function stripFences(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  return m ? m[1]! : text;
}

function classify(err: unknown, now: () => number): Failure {
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: "timeout", message: "request timed out", cause: err };
  }
  if (err instanceof OpenAI.APIConnectionError) {
    // Unreachable endpoint: as transient as a 5xx from the endpoint's point of view.
    return { kind: "server_error", message: `connection failed: ${err.message}`, cause: err };
  }
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    const failure = byStatus(err.status, err.message);
    const retryAfterMs = retryAfter(err.headers, now);
    return { ...failure, ...(retryAfterMs !== undefined && { retryAfterMs }), cause: err };
  }
  // A body the client cannot parse (an HTML error page behind a proxy, say): the endpoint's fault.
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "server_error", message: `unreadable response: ${message}`, cause: err };
}

function byStatus(status: number, message: string): Failure {
  if (status === 429) return { kind: "rate_limited", status, message: `rate limited: ${message}` };
  if (status === 408) return { kind: "timeout", status, message: `request timeout: ${message}` };
  if (status >= 500) return { kind: "server_error", status, message: `server error: ${message}` };
  // The key, the account or the model name is wrong: the endpoint's configuration, not the request.
  if (status === 401 || status === 403 || status === 404 || status === 407)
    return {
      kind: "endpoint_refused",
      status,
      message: `endpoint refused (${status}): ${message}`,
    };
  return { kind: "client_error", status, message: `request refused: ${message}` };
}

/** `retry-after-ms` (OpenAI) or `retry-after` in seconds or as an HTTP date. */
function retryAfter(headers: Headers | undefined, now: () => number): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
