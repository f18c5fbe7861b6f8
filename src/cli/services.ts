// Attaches the layers above the gateway (governance, pipelines) to a gateway. One place, so the
// server, the runner and tests wire the same services.
import type { Gateway } from "../server/gateway.js";

export function installServices(_gateway: Gateway): void {}
