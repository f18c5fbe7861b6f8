// Attaches the governance engine to a gateway's call path: the lifecycle gate before every call,
// and the error budget after every refused or failed one. One place, so the server, the runner and
// tests wire the same rules.
import type { Gateway } from "../server/gateway.js";

export function installServices(gateway: Gateway): void {
  const { governance } = gateway.runtime;
  gateway.hooks.push({
    async before(ctx, tool) {
      await governance.hooks.gate(ctx.caller, {
        name: tool.name,
        readOnly: tool.annotations.readOnlyHint === true,
        ...(tool.phases ? { phases: tool.phases } : {}),
      });
    },
    async failed(caller, tool, err) {
      await governance.hooks.failed(caller, tool, err);
    },
  });
}
