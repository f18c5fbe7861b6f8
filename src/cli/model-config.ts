// The model a command's agents think with, from the validated configuration and the command's own
// flags (which win): which endpoint and model, the per-attempt timeout, retries and max tokens.
import { createModel, type Model } from "../../agents/model.js";
import { offlineCoverage } from "../../agents/offline-model.js";
import type { Config } from "../config/index.js";
import { AgovError } from "../util/errors.js";
import { intOption } from "./args.js";

export interface ModelSettings {
  /** Per attempt, ms. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt. */
  retries?: number | undefined;
  maxTokens?: number | undefined;
  /** The model name, instead of the configured one. */
  model?: string | undefined;
  /** The offline model whatever keys are configured. */
  offline?: boolean | undefined;
}

export function modelFromConfig(c: Config | undefined, s: ModelSettings = {}): Model {
  const maxTokens = s.maxTokens ?? c?.model_max_tokens;
  return createModel(
    {
      OPENROUTER_API_KEY: c?.openrouter_api_key,
      OPENAI_API_KEY: c?.openai_api_key,
      OPENAI_BASE_URL: c?.openai_base_url,
      AGOV_MODEL: s.model ?? c?.model,
    },
    {
      ...(s.offline ? { offline: true } : {}),
      timeoutMs: s.timeoutMs ?? c?.model_timeout_ms ?? 60_000,
      maxAttempts: 1 + (s.retries ?? c?.model_retries ?? 2),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    },
  );
}

/** The model flags a command shares (--model-timeout in seconds, --model-retries, --model-max-tokens). */
export function modelFlags(
  values: {
    "model-timeout"?: string | undefined;
    "model-retries"?: string | undefined;
    "model-max-tokens"?: string | undefined;
  },
  command: string,
): ModelSettings {
  const timeoutS = intOption(values["model-timeout"], "model-timeout", command, 1, 3600);
  return {
    timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    retries: intOption(values["model-retries"], "model-retries", command, 0, 10),
    maxTokens: intOption(values["model-max-tokens"], "model-max-tokens", command, 16, 1_000_000),
  };
}

/** The offline model cannot address an objective outside software and infrastructure: say so. */
export function refuseUncovered(model: Model, objective: string, command: string): void {
  if (model.name !== "offline") return;
  const { covered, reason } = offlineCoverage(objective);
  if (!covered)
    throw new AgovError(
      "INVALID_INPUT",
      `${command}: ${reason}; set OPENROUTER_API_KEY or OPENAI_BASE_URL (and AGOV_MODEL) to work it with a real model`,
    );
}
