// agov serve: the governed MCP server over stdio (default) or Streamable HTTP.
import { TOOLS } from "../../tools/index.js";
import type { Config } from "../config/index.js";
import type { StageExecutor } from "../pipeline/index.js";
import { createGateway, type Gateway } from "../server/gateway.js";
import { serveStdio } from "../server/stdio.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { SERVE } from "./commands.js";
import type { CliContext } from "./context.js";

export async function serve({ values }: Parsed<typeof SERVE>, ctx: CliContext): Promise<number> {
  const port = intOption(values.http, "http", "serve", 0, 65535);
  if (port === undefined && values.host)
    throw new UsageError("serve: --host goes with --http <port>");
  const { config } = ctx;
  const appRole =
    config.authority === "vault" && !!config.vault_role_id && !!config.vault_secret_id;
  if (port === undefined && !config.token && !appRole) {
    throw new UsageError(
      "serve: no token for stdio: set AGOV_TOKEN (issue one with `agov token issue --agent <id> --tier <0-4>`), or with AGOV_AUTHORITY=vault the agent's VAULT_ROLE_ID and VAULT_SECRET_ID",
    );
  }
  const rt = await ctx.runtime();
  // A server lives long enough for probes to matter: they notice an outage (and a recovery) even
  // when no call is made, and close an open breaker without waiting for a caller to try.
  rt.health.start();
  const gateway = createGateway(rt, TOOLS);
  installStageAgentsOnUse(gateway, config);
  if (port === undefined) {
    // With Vault and no AGOV_TOKEN, the agent logs in with its own AppRole; the token is renewed
    // for as long as the session lives (up to the role's token_max_ttl).
    const login = config.token
      ? undefined
      : await (await import("../authority/vault.js")).agentLogin({
          addr: config.vault_addr!,
          roleId: config.vault_role_id!,
          secretId: config.vault_secret_id!,
          clock: rt.clock,
        });
    const { closed } = await serveStdio(gateway, config.token ?? login!.token, ctx.log);
    await closed;
    login?.close();
    gateway.close();
    return 0;
  }
  // Loaded only for --http: the HTTP stack is a tenth of a stdio server's start-up.
  const { serveHttp } = await import("../server/http.js");
  const server = await serveHttp(gateway, {
    port,
    host: values.host ?? "127.0.0.1",
    log: ctx.log,
    idleMs: ctx.config.session_idle_ms,
    allowedHosts: config.http_allowed_hosts,
    allowedOrigins: config.http_allowed_origins,
  });
  ctx.log.info({ url: server.url }, "serving MCP over Streamable HTTP");
  ctx.err(`agov: listening on ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  gateway.close();
  return 0;
}

/**
 * pipeline_run over MCP runs agent stages with the bundled stage agents, in this process. They,
 * and the model client behind them (the openai package), are loaded when the first stage runs:
 * a server whose callers never run a pipeline does not load them at start-up.
 */
function installStageAgentsOnUse(gateway: Gateway, config: Config): void {
  let executor: Promise<StageExecutor> | undefined;
  gateway.runtime.pipelines.executors.setDefault(async (task) => {
    executor ??= import("./pipeline-agents.js").then(
      (m) => m.stageAgents(gateway, { config }).executor,
    );
    return (await executor)(task);
  });
}
