// The model endpoint as a dependency of this process, when a run or a pipeline stage thinks with a
// real model: every request's outcome feeds the health manager, so /healthz, the health tool and
// the log show a model outage as they show a Redis one. The offline model has no endpoint.
import type { Model } from "../../agents/model.js";
import { ModelError } from "../../agents/model-error.js";
import type { Health } from "../health/index.js";

export function watchModel(model: Model, health: Health): Model {
  if (model.name === "offline") return model;
  const breaker = health.add({
    name: "model",
    kind: "openai-compatible",
    target: model.name,
    label: `model endpoint (${model.name})`,
    critical: false,
    // Watched only: the agents' own breaker (agents/model-breaker.ts) paces their requests.
    breaker: { failFast: false, isFailure: (err) => err instanceof ModelError && err.outage },
  });
  return {
    name: model.name,
    ...(model.endpoint ? { endpoint: model.endpoint } : {}),
    generate: (req, schema) => breaker.run(() => model.generate(req, schema)),
  };
}
