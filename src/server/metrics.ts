// GET /metrics: the Prometheus text of agov's metrics, when `metrics` is on. Counts by tool,
// decision and reason, never ids or arguments; still, how busy a gateway is and what it refuses
// is not for strangers, so a valid bearer token (any tier) is asked for, as for /healthz's report.
import type { IncomingMessage, ServerResponse } from "node:http";
import { toAgovError } from "../util/errors.js";
import type { Gateway } from "./gateway.js";
import type { RefusalLog } from "./refusals.js";

export async function metrics(
  gateway: Gateway,
  refusals: RefusalLog,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const render = gateway.runtime.telemetry?.prometheus;
  if (!render) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: "not found: /metrics is off; start agov with metrics: true (AGOV_METRICS=1)",
      }),
    );
    return;
  }
  const token = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) {
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
    res.end(
      JSON.stringify({ error: "authentication required: send Authorization: Bearer <token>" }),
    );
    return;
  }
  try {
    await gateway.identify(token);
  } catch (err) {
    const e = toAgovError(err);
    if (e.code === "UNAVAILABLE") {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `cannot check the token: ${e.message}` }));
      return;
    }
    refusals.refused(req.socket.remoteAddress ?? "unknown", e, "http: /metrics token refused");
    res.writeHead(401, {
      "content-type": "application/json",
      "www-authenticate": 'Bearer error="invalid_token"',
    });
    res.end(JSON.stringify({ error: `token refused: ${e.message}` }));
    return;
  }
  const text = await render();
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
}
