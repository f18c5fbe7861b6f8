// The OAuth edge of `agov serve --http`: protected resource metadata (RFC 9728) at the root and
// /mcp-suffixed paths, and the authorization server (the SDK's mcpAuthRouter: RFC 8414 metadata,
// /authorize, /token, /register, /revoke) plus the consent page. URLs are built from the Host the
// client used (already checked against the allowed names), so a client on 127.0.0.1 and one on
// localhost each see their own; one Express app per such base, few and memoised.

import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidRequestError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { metadataHandler } from "@modelcontextprotocol/sdk/server/auth/handlers/metadata.js";
import { mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { AgovError } from "../../util/errors.js";
import type { Gateway } from "../gateway.js";
import { consentHandler } from "./consent.js";
import { createOAuthProvider } from "./provider.js";

const PATHS = [
  "/.well-known/oauth-protected-resource",
  "/.well-known/oauth-authorization-server",
  "/authorize",
  "/token",
  "/register",
  "/revoke",
  "/oauth/consent",
];
const MAX_BASES = 32;

/** Why an authorization request's client_id and redirect_uri may not be redirected to, if so. */
async function exactRedirect(
  provider: ReturnType<typeof createOAuthProvider>,
  req: Request,
): Promise<string | null> {
  const params = (req.method === "POST" ? req.body : req.query) as Record<string, unknown>;
  const clientId = params?.client_id;
  const redirect = params?.redirect_uri;
  if (typeof clientId !== "string") return "client_id is required";
  const client = await provider.clientsStore.getClient(clientId);
  if (!client) return "unknown client_id: register the client first (POST /register)";
  if (redirect === undefined)
    return client.redirect_uris.length === 1 ? null : "redirect_uri is required";
  if (typeof redirect !== "string" || !client.redirect_uris.includes(redirect))
    return "redirect_uri is not one this client registered (they are matched exactly)";
  return null;
}

export interface OAuthEdge {
  /** Whether the path is one of the edge's (metadata, authorization server, consent page). */
  owns(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, base: string): void;
  /** The protected resource metadata URL for the /mcp of `base`, as 401 challenges name it. */
  metadataUrl(base: string): string;
}

export function createOAuthEdge(
  gateway: Gateway,
  /** Puts a refused sign-in request on the record (counted per source, as refused tokens are). */
  refused: (source: string, err: AgovError, action: string) => void,
): OAuthEdge {
  const provider = createOAuthProvider(
    gateway,
    (url) => !url || url.pathname.replace(/\/$/, "") === "/mcp",
  );
  const consent = consentHandler(gateway, provider, (source, e) =>
    refused(source, e, "oauth consent: token refused"),
  );
  const apps = new Map<string, express.Express>();

  function build(base: string): express.Express {
    const app = express();
    app.disable("x-powered-by");
    const resource = new URL(`${base}/mcp`);
    let issuer: string | undefined;
    try {
      const router = mcpAuthRouter({
        provider,
        issuerUrl: new URL(`${base}/`),
        resourceServerUrl: resource,
        resourceName: "agov",
      });
      issuer = `${base}/`;
      // Before the SDK's handler, which lets any port of a loopback redirect URI through (RFC
      // 8252) and sends its errors there: a redirect_uri must be one the client registered,
      // exactly, or nothing is redirected at all.
      app.use(
        "/authorize",
        express.urlencoded({ extended: false, limit: "16kb" }),
        (req, res, next) => {
          void exactRedirect(provider, req).then((problem) => {
            if (!problem) return next();
            refused(
              req.socket.remoteAddress ?? "unknown",
              new AgovError("INVALID_INPUT", problem),
              "oauth authorize refused",
            );
            res
              .status(400)
              .set("cache-control", "no-store")
              .json({
                error: problem.startsWith("unknown client") ? "invalid_client" : "invalid_request",
                error_description: problem,
              });
          }, next);
        },
      );
      app.use(router);
      app.post(
        "/oauth/consent",
        express.urlencoded({ extended: false, limit: "16kb" }),
        (req, res, next) => void consent(req, res).catch(next),
      );
    } catch {
      // The SDK serves an authorization server only on https or loopback (RFC 8414): over plain
      // http on another name, the resource still describes itself, and bearer tokens still work.
    }
    const prm = metadataHandler({
      resource: resource.href,
      ...(issuer ? { authorization_servers: [issuer] } : {}),
      bearer_methods_supported: ["header"],
      resource_name: "agov",
    } as Parameters<typeof metadataHandler>[0]);
    app.use("/.well-known/oauth-protected-resource/mcp", prm);
    app.use("/.well-known/oauth-protected-resource", prm);
    app.use((_req, res) => {
      res.status(404).json({ error: "not_found" });
    });
    // Never Express's default handler: it answers with the stack trace outside production.
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = (err as { status?: number }).status;
      const e =
        status && status >= 400 && status < 500
          ? new InvalidRequestError((err as Error).message)
          : new ServerError("internal error");
      if (!res.headersSent)
        res.status(status && status < 500 ? status : 500).json(e.toResponseObject());
      else res.end();
    });
    return app;
  }

  return {
    owns: (pathname) => PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`)),
    handle(req, res, base) {
      let app = apps.get(base);
      if (!app) {
        app = build(base);
        if (apps.size < MAX_BASES) apps.set(base, app);
      }
      app(req, res);
    },
    metadataUrl: (base) => `${base}/.well-known/oauth-protected-resource/mcp`,
  };
}
