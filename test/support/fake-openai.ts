// A local OpenAI-compatible server for tests: POST /v1/chat/completions answers from a script
// (real chat.completion bodies, error statuses, or no answer at all) and records every request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Reply =
  | { status: number; json?: unknown; raw?: string; headers?: Record<string, string> }
  | "hang";

export function completion(content: string) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "test-model",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        finish_reason: "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}
export const answer = (value: unknown): Reply => ({
  status: 200,
  json: completion(JSON.stringify(value)),
});
export const rawAnswer = (content: string): Reply => ({ status: 200, json: completion(content) });

export interface FakeOpenAI {
  /** Base URL for the client, ending in /v1. */
  url: string;
  /** Replies, consumed one per request; once empty, the fallback answers (by default a 500). */
  script: Reply[];
  requests: { body: Record<string, unknown>; headers: IncomingMessage["headers"] }[];
  /** Called as each request arrives, before it is answered. */
  setOnRequest(f: () => void): void;
  /** Answers requests the script does not cover, e.g. a whole run's worth of good replies. */
  setFallback(f: (body: Record<string, unknown>) => Reply | Promise<Reply>): void;
  /**
   * Resolves when the server next holds a request without answering ("hang"), unless `signal`
   * is aborted first: a model's deadline that fires exactly when a request hangs, never for a
   * slow answer on a busy machine.
   */
  held(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A fake /v1/chat/completions: answers from a script, records every request body. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const script: Reply[] = [];
  const requests: FakeOpenAI["requests"] = [];
  const held: ServerResponse[] = [];
  const holdWaiters = new Set<() => void>();
  let onRequest = () => {};
  let fallback = (_body: Record<string, unknown>): Reply | Promise<Reply> => ({
    status: 500,
    json: { error: { message: "script ended" } },
  });
  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", async () => {
      if (req.url !== "/v1/chat/completions") return res.writeHead(404).end();
      const body = JSON.parse(data) as Record<string, unknown>;
      requests.push({ body, headers: req.headers });
      onRequest();
      const reply = script.shift() ?? (await fallback(body));
      if (reply === "hang") {
        held.push(res); // never answered: the client times out
        for (const w of [...holdWaiters]) w();
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.raw ?? JSON.stringify(reply.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    script,
    requests,
    setOnRequest: (f) => {
      onRequest = f;
    },
    setFallback: (f) => {
      fallback = f;
    },
    held: (signal) =>
      new Promise<void>((resolve, reject) => {
        const done = () => {
          holdWaiters.delete(done);
          resolve();
        };
        holdWaiters.add(done);
        signal.addEventListener(
          "abort",
          () => {
            holdWaiters.delete(done);
            reject(signal.reason);
          },
          { once: true },
        );
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
