// resources/list, templates/list, read, subscribe and unsubscribe for one session. Every read and
// every subscription is the equivalent tool's governed call through the gateway (refused, and on
// the record, exactly as the tool would be); updates are driven by the state store's events.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { AgovEvent } from "../state/index.js";
import { AgovError } from "../util/errors.js";
import { argsDigest } from "../util/json.js";
import { clip } from "../util/text.js";
import { type CallSession, type Gateway, type Identity, traceOf } from "./gateway.js";
import { ProtocolError, RESOURCE_NOT_FOUND } from "./protocol-error.js";
import { parseResourceUri, RESOURCE_KINDS, type ResourceKind } from "./resources.js";

const MIME = "application/json";
/** Subscriptions one session may hold: each costs a check on every state event. */
export const MAX_SUBSCRIPTIONS = 100;

export interface ResourceSession {
  gateway: Gateway;
  id: string;
  agent_id: string;
  token(extra: { authInfo?: { token: string } | undefined }): string;
  client(): string | undefined;
}

/** Registers the handlers; returns what the session does with each state event. */
export function registerResources(
  server: Server,
  s: ResourceSession,
): { onEvent(e: AgovEvent): void } {
  const { gateway } = s;
  const subscribed = new Map<string, { kind: ResourceKind; params: Record<string, string> }>();

  async function governedRead(
    uri: string,
    verb: "read" | "subscribe",
    extra: {
      authInfo?: { token: string; extra?: Record<string, unknown> } | undefined;
      _meta?: unknown;
    },
  ) {
    const shown = clip(uri);
    const parsed = parseResourceUri(uri);
    const token = s.token(extra);
    if (!parsed) {
      await refuseUnknown(token, shown, verb);
      throw new ProtocolError(
        RESOURCE_NOT_FOUND,
        `no resource ${shown}; resources/templates/list names the agov:// resources`,
        { uri: shown },
      );
    }
    const c = s.client();
    const session: CallSession = {
      id: s.id,
      ...(c ? { client: c } : {}),
      action: `resources/${verb} ${shown}`,
      ...(parsed.kind.tier ? { tier: parsed.kind.tier } : {}),
    };
    const trace = traceOf(extra._meta);
    if (trace) session.trace = trace;
    const resolved = (extra.authInfo?.extra as { identity?: Identity } | undefined)?.identity;
    const r = await gateway.call(
      token,
      session,
      parsed.kind.tool,
      parsed.kind.args(parsed.params),
      resolved,
    );
    if (r.isError) {
      const meta = r._meta?.["agov/error"] as { code?: string } | undefined;
      const text = (r.content as Array<{ text?: string }>).map((x) => x.text ?? "").join("\n");
      const code =
        meta?.code === "NOT_FOUND"
          ? RESOURCE_NOT_FOUND
          : meta?.code === "INVALID_INPUT"
            ? ErrorCode.InvalidParams
            : ErrorCode.InvalidRequest;
      throw new ProtocolError(code, text, { uri: shown, ...(meta ?? {}) });
    }
    return { parsed, structured: r.structuredContent ?? {} };
  }

  /** A URI that names no resource is refused on the record, like an unknown tool. */
  async function refuseUnknown(token: string, uri: string, verb: string): Promise<void> {
    let caller: Identity["caller"] | undefined;
    try {
      caller = (await gateway.identify(token)).caller;
    } catch {
      caller = undefined;
    }
    const c = s.client();
    await gateway.runtime.ledger
      .record(
        {
          kind: "tool_call",
          agent_id: caller?.agent_id ?? "(unauthenticated)",
          agent_version: c ?? null,
          tier: caller?.tier ?? null,
          action: `resources/${verb} ${uri}`,
          decision: "deny",
          session_id: s.id,
          args_digest: argsDigest({ uri }),
        },
        {
          success: false,
          error_type: "NOT_FOUND",
          error_reason: null,
          error_message: `no resource ${uri}`,
        },
      )
      .catch(() => {
        throw new ProtocolError(
          ErrorCode.InternalError,
          new AgovError("UNAVAILABLE", "audit ledger cannot be written; request refused").message,
        );
      });
  }

  /** The kinds this caller may read: the tool granted and the tier enough. */
  async function readable(extra: { authInfo?: { token: string } | undefined }) {
    let identity: Identity;
    try {
      identity = await gateway.identify(s.token(extra));
    } catch {
      return [];
    }
    return RESOURCE_KINDS.filter(
      (k) => identity.granted.has(k.tool) && identity.caller.tier >= (k.tier ?? 0),
    );
  }

  server.setRequestHandler(ListResourcesRequestSchema, async (_req, extra) => ({
    resources: (await readable(extra))
      .filter((k) => k.params.length === 0)
      .map((k) => ({
        uri: k.template,
        name: k.name,
        title: k.title,
        description: k.description,
        mimeType: MIME,
      })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_req, extra) => ({
    resourceTemplates: (await readable(extra))
      .filter((k) => k.params.length > 0)
      .map((k) => ({
        uriTemplate: k.template,
        name: k.name,
        title: k.title,
        description: k.description,
        mimeType: MIME,
      })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
    const { structured } = await governedRead(req.params.uri, "read", extra);
    return {
      contents: [{ uri: req.params.uri, mimeType: MIME, text: JSON.stringify(structured) }],
    };
  });
  server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    if (subscribed.size >= MAX_SUBSCRIPTIONS && !subscribed.has(req.params.uri))
      throw new ProtocolError(
        ErrorCode.InvalidRequest,
        `this session already holds ${MAX_SUBSCRIPTIONS} subscriptions; unsubscribe from one first`,
      );
    const { parsed } = await governedRead(req.params.uri, "subscribe", extra);
    subscribed.set(req.params.uri, parsed);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  return {
    onEvent(e) {
      // A revoked agent may read nothing more: what it subscribed to goes with its grants.
      if (e.type === "revoked" && e.agent_id === s.agent_id) subscribed.clear();
      for (const [uri, { kind, params }] of subscribed)
        if (kind.touched(e, params, s.agent_id))
          void server.sendResourceUpdated({ uri }).catch(() => {});
    },
  };
}
