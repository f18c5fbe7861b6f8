// A local OpenAI-compatible endpoint that fails on a seeded schedule — 500, 429, a garbage body,
// a request held and then dropped — and otherwise answers as the offline model would.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { STANCE, TASK } from "../llm-prompts.js";
import type { AgentRole, ModelTaskKind } from "../model.js";
import { createOfflineModel } from "../offline-model.js";
import type { Rng } from "./rng.js";

export const MODEL_FAULTS = ["500", "429", "garbage", "hang"] as const;
export type ModelFault = (typeof MODEL_FAULTS)[number];

export interface FakeModel {
  url: string;
  /** Faults served so far, by kind; and requests answered well. */
  faults: Record<ModelFault, number>;
  good: number;
  /** From now on every request is answered well. */
  heal(): void;
  close(): Promise<void>;
}

/** Every fault kind once among the first requests, then each fails with probability `rate`, until healed. */
export async function startFakeModel(rng: Rng, rate: number, hangMs: number): Promise<FakeModel> {
  const offline = createOfflineModel();
  const pending = [...MODEL_FAULTS].sort(() => rng.next() - 0.5);
  const faults: Record<ModelFault, number> = { "500": 0, "429": 0, garbage: 0, hang: 0 };
  let healed = false;
  let good = 0;
  let n = 0;
  const held = new Set<ServerResponse>();
  const send = (res: ServerResponse, status: number, body: string, headers = {}) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", async () => {
      // Every kind once early on (every other request from the third), then at random.
      n++;
      const fault = healed
        ? undefined
        : pending.length > 0
          ? n > 2 && n % 2 === 1
            ? pending.shift()
            : undefined
          : rng.next() < rate
            ? rng.pick(MODEL_FAULTS)
            : undefined;
      if (fault) faults[fault]++;
      if (fault === "500") return send(res, 500, '{"error":{"message":"chaos: internal error"}}');
      if (fault === "429")
        return send(res, 429, '{"error":{"message":"chaos: slow down"}}', {
          "retry-after-ms": "200",
        });
      if (fault === "garbage") return send(res, 200, completion("<html>this is not JSON"));
      if (fault === "hang") {
        // Held, then dropped without an answer, as a stuck upstream cut by a proxy would be.
        held.add(res);
        setTimeout(() => {
          held.delete(res);
          res.destroy();
        }, hangMs);
        return;
      }
      try {
        send(res, 200, completion(JSON.stringify(await reply(offline, data))));
        good++;
      } catch (err) {
        send(res, 400, JSON.stringify({ error: { message: String(err) } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    faults,
    get good() {
      return good;
    },
    heal: () => {
      healed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the offline model answers to the request the prompt encodes (role, task, context). */
async function reply(
  offline: ReturnType<typeof createOfflineModel>,
  raw: string,
): Promise<unknown> {
  const body = JSON.parse(raw) as { messages: Array<{ role: string; content: string }> };
  const system = body.messages.find((m) => m.role === "system")?.content ?? "";
  const user = body.messages.find((m) => m.role === "user")?.content ?? "";
  const role = (Object.keys(STANCE) as AgentRole[]).find((r) => system.includes(STANCE[r]));
  const kind = (Object.keys(TASK) as ModelTaskKind[]).find((k) => user.includes(TASK[k]));
  const context = /Context \(JSON\):\n([\s\S]*?)\n\nReply with one JSON/.exec(user)?.[1];
  if (!role || !kind || context === undefined) throw new Error("chaos: unrecognised prompt");
  const objective = /^Objective: (.*)$/m.exec(user)?.[1] ?? "";
  return offline.generate({ role, kind, objective, context: JSON.parse(context) }, z.unknown());
}

function completion(content: string): string {
  return JSON.stringify({
    id: "chatcmpl-chaos",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "chaos-model",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        finish_reason: "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}
