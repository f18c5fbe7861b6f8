// GET /healthz: one word (ok, degraded, down; 503 when down) for anyone, which is all a load
// balancer needs and tells a stranger nothing; the per-dependency report for a valid bearer token.
import type { IncomingMessage, ServerResponse } from "node:http";
import { toAgovError } from "../util/errors.js";
import type { Gateway } from "./gateway.js";
import type { RefusalLog } from "./refusals.js";

export async function healthz(
  gateway: Gateway,
  refusals: RefusalLog,
  req: IncomingMessage,
  res: ServerResponse,
  sessions: number,
): Promise<void> {
  const report = gateway.runtime.health.report();
  const status = report.status === "down" ? 503 : 200;
  const header = req.headers.authorization;
  const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (token) {
    try {
      await gateway.identify(token);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...report, sessions, attached: gateway.attached() }));
      return;
    } catch (err) {
      const e = toAgovError(err);
      if (e.code !== "UNAVAILABLE") {
        refusals.refused(req.socket.remoteAddress ?? "unknown", e, "http: /healthz token refused");
        res.writeHead(401, {
          "content-type": "application/json",
          "www-authenticate": 'Bearer error="invalid_token"',
        });
        res.end(JSON.stringify({ error: `token refused: ${e.message}` }));
        return;
      }
      // The authority cannot tell who is asking: the one word is still true.
    }
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${report.status}\n`);
}
