// Watches what a run's model does for the report: how many attempts failed and how, and whether
// the endpoint was still failing when the run ended, so "no consensus" can name it as the cause.
import { type Model, ModelError } from "./model.js";

export interface ModelFault {
  /** The endpoint's base URL, or the model's name when it has none. */
  endpoint: string;
  model: string;
  /** Failed attempts over the run (retries included). */
  failures: number;
  /** The last failure's kind and message. */
  kind: string;
  message: string;
  /** No answer came back after the last failure. */
  failing: boolean;
}

export interface WatchedModel extends Model {
  /** The model's failures, or null when it never failed. */
  fault(): ModelFault | null;
}

export function watchFaults(model: Model): WatchedModel {
  let failures = 0;
  let last: { kind: string; message: string } | null = null;
  let failing = false;
  const failed = (kind: string, message: string) => {
    failures++;
    last = { kind, message };
    failing = true;
  };
  return {
    name: model.name,
    ...(model.endpoint ? { endpoint: model.endpoint } : {}),
    async generate(req, schema) {
      try {
        const out = await model.generate(
          {
            ...req,
            onAttemptFailed: (f) => {
              failed(f.kind, f.message);
              return req.onAttemptFailed?.(f);
            },
          },
          schema,
        );
        failing = false;
        return out;
      } catch (err) {
        if (err instanceof ModelError) failed(err.kind, err.message);
        throw err;
      }
    },
    fault() {
      if (!last) return null;
      const { kind, message } = last;
      const endpoint = model.endpoint ?? model.name;
      return { endpoint, model: model.name, failures, kind, message, failing };
    },
  };
}
