// agov serve: the governed MCP server over stdio (default) or Streamable HTTP.
import { TOOLS } from "../../tools/index.js";
import type { Config } from "../config/index.js";
import type { StageExecutor } from "../pipeline/index.js";
import { createGateway, type Gateway } from "../server/gateway.js";
import { serveStdio, stdioRefusal } from "../server/stdio.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { SERVE } from "./commands.js";
import type { CliContext } from "./context.js";

export async function serve({ values }: Parsed<typeof SERVE>, ctx: CliContext): Promise<number> {
  const port = intOption(values.http, "http", "serve", 0, 65535);
  if (port === undefined && values.host)
    throw new UsageError("serve: --host goes with --http <port>");
  const anonymous = values["anonymous-tier"];
  if (anonymous !== undefined && port === undefined)
    throw new UsageError("serve: --anonymous-tier goes with --http <port>");
  if (anonymous !== undefined && anonymous !== "0")
    throw new UsageError(
      `serve: --anonymous-tier: only 0 (T0 observer) may be given to callers without a token, got "${anonymous}"`,
    );
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
    const { closed, refused } = await serveStdio(gateway, config.token ?? login!.token, ctx.log);
    // One line for whoever reads the client's server log; the client itself gets the reason as
    // the answer to each of its requests.
    if (refused) ctx.err(`agov: ${refused.code}: ${stdioRefusal(refused)}`);
    await closed;
    login?.close();
    gateway.close();
    return refused ? 1 : 0;
  }
  // Loaded only for --http: the HTTP stack is a tenth of a stdio server's start-up.
  const { serveHttp } = await import("../server/http.js");
  const server = await serveHttp(gateway, {
    port,
    host: values.host ?? "127.0.0.1",
    log: ctx.log,
    idleMs: ctx.config.session_idle_ms,
    allowedHosts: [
      ...config.http_allowed_hosts,
      ...(config.http_public_url ? [new URL(config.http_public_url).host] : []),
    ],
    allowedOrigins: [
      ...config.http_allowed_origins,
      ...(config.http_public_url ? [config.http_public_url] : []),
    ],
    ...(config.http_public_url ? { publicUrl: config.http_public_url } : {}),
    ...(anonymous === undefined ? {} : { anonymousToken: anonymousIdentity(gateway) }),
  });
  if (anonymous !== undefined)
    ctx.err(
      `agov: WARNING: test mode (--anonymous-tier 0): any request without a token is served as agent "${ANONYMOUS}" at T0 (observer), audited under that name. Never use this in production.`,
    );
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

const ANONYMOUS = "anonymous";

/**
 * The test mode's identity: a T0 token of the agent "anonymous" from the authority (so grants,
 * audit and revocation are those of any T0 agent), issued on first use and again when it expires.
 */
function anonymousIdentity(gateway: Gateway): () => Promise<string> {
  const { authority, ledger, clock } = gateway.runtime;
  let current: Promise<{ token: string; expires_at: number }> | undefined;
  const issue = async () => {
    const t = await authority.issue({ agent_id: ANONYMOUS, tier: 0 });
    await ledger.record(
      {
        kind: "token",
        agent_id: ANONYMOUS,
        tier: 0,
        action: `token issue: ${ANONYMOUS} at T0 (token id ${t.token_id}) by serve --anonymous-tier 0 (test mode)`,
        decision: "allow",
        detail: { op: "issue", by: "serve:anonymous", token_id: t.token_id },
      },
      { success: true },
    );
    return t;
  };
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    if (!held || held.expires_at - clock.now() < 60_000) current = issue();
    return (await current!).token;
  };
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
