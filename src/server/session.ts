// One MCP server per connection (the SDK's Server cannot be connected twice), built on the
// low-level Server so tools/list and tools/call are ours: the list is computed from the caller's
// grants and every call goes through the gateway's governed path.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Elicit } from "../../tools/define.js";
import type { Caller } from "../authority/index.js";
import type { AgovEvent } from "../state/index.js";
import { AgovError, toAgovError } from "../util/errors.js";
import { packageVersion } from "../util/paths.js";
import { clip } from "../util/text.js";
import { registerCompletions } from "./completions.js";
import { type Gateway, type Identity, traceOf } from "./gateway.js";
import { watchLocks } from "./lock-watch.js";
import { registerPrompts } from "./prompts.js";
import { registerResources } from "./resource-handlers.js";
import { type GovernanceLog, governanceLog } from "./session-log.js";

export const SERVER_INFO = { name: "agov", version: packageVersion() };

export interface McpSessionOptions {
  gateway: Gateway;
  id: string;
  agent_id: string;
  /** The agent's tier when the session opened (kept current from tier_changed events). */
  tier: number;
  /** Where the caller's token comes from: fixed (stdio) or the request's bearer token (HTTP). */
  tokenFor(extra: { authInfo?: { token: string } | undefined }): string | undefined;
}

export type TransportKind = "stdio" | "http" | "memory";

/**
 * A session of one agent: the MCP server for its connection, attached to the gateway so that a
 * revocation or tier change reaches it, and on the record: its opening (or refusal, past
 * max_sessions_per_agent or max_sessions) and its close are `session` rows on every transport.
 * `detach` when the connection ends (server.onclose); it records the close once.
 */
export async function openMcpSession(opts: {
  gateway: Gateway;
  caller: Pick<Caller, "agent_id" | "tier">;
  transport: TransportKind;
  /** The client's name/version when known before the handshake (HTTP's initialize body). */
  client?: string;
  tokenFor: McpSessionOptions["tokenFor"];
}): Promise<{ id: string; server: Server; detach: () => void }> {
  const { gateway, caller, transport } = opts;
  const { ledger, clock, ids } = gateway.runtime;
  const id = ids.next();
  const { server, onEvent, close } = createMcpSession({
    gateway,
    id,
    agent_id: caller.agent_id,
    tier: caller.tier,
    tokenFor: opts.tokenFor,
  });
  const row = (what: "opened" | "refused" | "closed", client: string | undefined) => ({
    kind: "session" as const,
    agent_id: caller.agent_id,
    agent_version: client ? clip(client) : null,
    tier: caller.tier,
    action: `session ${what} (${transport})`,
    decision: what === "refused" ? ("deny" as const) : ("allow" as const),
    session_id: id,
  });

  let release: () => void;
  try {
    release = gateway.attach({
      id,
      agent_id: caller.agent_id,
      notifyToolsChanged: () => server.sendToolListChanged(),
    });
  } catch (err) {
    const e = toAgovError(err);
    // Refused either way; the row is written if the ledger can take it.
    await ledger
      .record(
        { ...row("refused", opts.client), detail: { transport, ...e.details } },
        {
          success: false,
          error_type: e.code,
          error_reason: e.reason ?? null,
          error_message: e.message,
        },
      )
      .catch(() => {});
    throw e;
  }
  try {
    await ledger.record(
      { ...row("opened", opts.client), detail: { transport } },
      { success: true },
    );
  } catch (err) {
    release();
    throw new AgovError(
      "UNAVAILABLE",
      `audit ledger cannot be written (${toAgovError(err).message}); session refused`,
    );
  }
  const opened = clock.now();
  // The store's events drive this session's resource updates and governance log messages.
  const unsubscribe = gateway.runtime.state.events.subscribe(onEvent);
  let detached = false;
  const detach = () => {
    if (detached) return;
    detached = true;
    unsubscribe();
    close();
    release();
    const v = server.getClientVersion();
    void ledger
      .record(
        {
          ...row("closed", v ? `${v.name}/${v.version}` : opts.client),
          detail: { transport, open_ms: clock.now() - opened },
        },
        { success: true },
      )
      .catch(() => {});
  };
  return { id, server, detach };
}

function createMcpSession({ gateway, id, agent_id, tier, tokenFor }: McpSessionOptions): {
  server: Server;
  onEvent(e: AgovEvent): void;
  close(): void;
} {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      prompts: {},
      resources: { subscribe: true },
      logging: {},
      completions: {},
    },
    instructions:
      "agov governs what you may do: the tools listed are exactly those your trust tier allows. Every call is audited. Call whoami to see your tier and grants.",
  });
  const client = () => {
    const v = server.getClientVersion();
    return v ? clip(`${v.name}/${v.version}`) : undefined;
  };
  const token = (extra: { authInfo?: { token: string } | undefined }) => {
    const t = tokenFor(extra);
    if (!t)
      throw new AgovError(
        "UNAUTHENTICATED",
        "no token: set AGOV_TOKEN or send Authorization: Bearer <token>",
      );
    return t;
  };

  registerPrompts(server);
  const resources = registerResources(server, { gateway, id, agent_id, token, client });
  registerCompletions(server, { gateway, id, token, client });
  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => ({
    tools: await gateway.listTools(token(extra)),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const c = client();
    // Over HTTP the bearer check resolved this caller for this very request; reuse it.
    const resolved = (extra.authInfo?.extra as { identity?: Identity } | undefined)?.identity;
    const elicit: Elicit | undefined = server.getClientCapabilities()?.elicitation
      ? async (q) => {
          const r = await server.elicitInput(
            { message: q.message, requestedSchema: q.requestedSchema as never },
            q.timeoutMs ? { timeout: q.timeoutMs } : undefined,
          );
          return { action: r.action, ...(r.content ? { content: r.content } : {}) };
        }
      : undefined;
    const trace = traceOf(req.params._meta);
    const result = await gateway.call(
      token(extra),
      {
        id,
        ...(c ? { client: c } : {}),
        ...(elicit ? { elicit } : {}),
        ...(trace ? { trace } : {}),
      },
      req.params.name,
      req.params.arguments,
      resolved,
    );
    locks.onResult(req.params.name, result);
    return result;
  });
  // Levels are kept per transport session id (HTTP's; none on stdio), as setLevel stored them.
  const notify = (log: GovernanceLog) =>
    void server.sendLoggingMessage(log, server.transport?.sessionId).catch(() => {});
  const { clock, state } = gateway.runtime;
  const locks = watchLocks({ clock, state, agent: agent_id, notify });
  // Who may decide a human gate: the tier gate_approve asks for (its policy still decides a call).
  const gateTier = gateway.tools.get("gate_approve")?.tier ?? 4;
  let currentTier = tier;
  const onEvent = (e: AgovEvent) => {
    if (e.type === "tier_changed" && e.agent_id === agent_id) currentTier = e.tier;
    if (e.type === "revoked" && e.agent_id === agent_id) currentTier = -1;
    resources.onEvent(e);
    const log = governanceLog(e, agent_id, currentTier >= gateTier);
    if (log) notify(log);
  };
  return { server, onEvent, close: locks.close };
}
