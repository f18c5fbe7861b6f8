// The model the agents think with, behind one small interface, and the choice of which one to use:
// OpenRouter, any OpenAI-compatible endpoint, or the offline deterministic model when no key is set.
import type { z } from "zod";
import { createLlmModel, type LlmOptions } from "./llm.js";
import type { ModelErrorKind } from "./model-error.js";
import { createOfflineModel } from "./offline-model.js";
import type { ModelTaskKind } from "./schemas.js";

export { ModelError, type ModelErrorKind } from "./model-error.js";
export type { ModelTaskKind } from "./schemas.js";

export type AgentRole = "ALPHA" | "BETA" | "GAMMA";

/** One failed attempt that is about to be retried (the final failure is the thrown ModelError). */
export interface AttemptFailure {
  role: AgentRole;
  kind: ModelErrorKind;
  attempt: number;
  message: string;
  status?: number;
  /** How long the model will wait before the next attempt. */
  delayMs: number;
  /** The provider's fault (down, overloaded, refusing the key, answering garbage), not the agent's. */
  outage: boolean;
}

/**
 * What an agent asks for. `context` carries what the task is about; the offline model reads:
 * - proposal: `{ analysis?: Analysis }`
 * - critique: `{ proposal: Proposal }` (the other agent's proposal)
 * - vote: `{ proposal: Proposal | Synthesis, synthesis?: boolean }` (a Synthesis is recognised by
 *   its `resolved_conflicts`)
 * - synthesis: `{ proposals: Proposal[], critiques?: Critique[] }`
 * An LLM sees the whole context as JSON.
 */
export interface ModelRequest {
  role: AgentRole;
  kind: ModelTaskKind;
  objective: string;
  context: Record<string, unknown>;
  /**
   * A specialist's own stance, said to an LLM instead of the role's (the role still picks the
   * offline model's leanings).
   */
  persona?: string;
  signal?: AbortSignal;
  /**
   * Called (and awaited) before each retry, so the agent can put the failure on the ledger through
   * `error_report`; if it throws (say the agent was revoked), generation stops with that error.
   */
  onAttemptFailed?: (failure: AttemptFailure) => void | Promise<void>;
}

export interface Model {
  /** For reports: "offline", "openrouter:<model>" or "openai:<model>". */
  readonly name: string;
  /** The endpoint's base URL, for messages that must say which one failed (none when offline). */
  readonly endpoint?: string;
  generate<T>(req: ModelRequest, schema: z.ZodType<T>): Promise<T>;
}

/** The model keys of the validated config, under their environment names. */
export interface ModelEnv {
  OPENROUTER_API_KEY?: string | undefined;
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  AGOV_MODEL?: string | undefined;
}

export interface CreateModelOptions extends LlmOptions {
  /** Use the offline model even when a key is configured (tests, `--offline`). */
  offline?: boolean;
}

export const OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1";
export const OPENAI_BASE_URL = "https://api.openai.com/v1";
const DEFAULT_OPENROUTER_MODEL = "openai/gpt-4o-mini";
const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";

export function createModel(env: ModelEnv, opts: CreateModelOptions = {}): Model {
  const { offline, ...llm } = opts;
  if (offline) return createOfflineModel();
  if (env.OPENROUTER_API_KEY) {
    return createLlmModel(
      {
        provider: "openrouter",
        baseURL: OPENROUTER_BASE_URL,
        apiKey: env.OPENROUTER_API_KEY,
        model: env.AGOV_MODEL ?? DEFAULT_OPENROUTER_MODEL,
        // OpenRouter's attribution headers; harmless elsewhere, but only sent there.
        headers: { "X-Title": "agov" },
      },
      llm,
    );
  }
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    return createLlmModel(
      {
        provider: "openai",
        baseURL: env.OPENAI_BASE_URL ?? OPENAI_BASE_URL,
        // Local servers (Ollama, vLLM, llama.cpp) take no key, but the client insists on one.
        apiKey: env.OPENAI_API_KEY ?? "no-key",
        model: env.AGOV_MODEL ?? DEFAULT_OPENAI_MODEL,
      },
      llm,
    );
  }
  return createOfflineModel();
}
