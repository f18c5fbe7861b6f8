// A thin layer over node-vault: every request names the token it runs with, and failures become
// either AgovError UNAVAILABLE (Vault cannot answer: fail closed) or a VaultApiError (Vault said no).
import nodeVault from "node-vault";
import { AgovError } from "../util/errors.js";

/** Vault answered with an error status; `errors` is its `{"errors": [...]}` body. */
export class VaultApiError extends Error {
  override name = "VaultApiError";
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly path: string,
  ) {
    super(`Vault ${status} on ${path}: ${errors.join("; ") || "(no message)"}`);
  }
}

export type VaultBody = Record<string, unknown>;

export interface VaultHttp {
  readonly addr: string;
  read(path: string, token: string): Promise<VaultBody>;
  /** POST; `token` is omitted only for login endpoints. */
  write(path: string, body: VaultBody, token?: string): Promise<VaultBody>;
  /** LIST, sent as `GET ?list=true`, which every Vault accepts. Returns `data.keys`. */
  list(path: string, token: string): Promise<string[]>;
}

export function createVaultHttp(addr: string, timeoutMs: number): VaultHttp {
  const client = nodeVault({
    endpoint: addr,
    // LIST is not a verb every HTTP stack passes through; Vault reads `?list=true` the same way.
    noCustomHTTPVerbs: true,
    requestOptions: { timeout: timeoutMs },
  });
  // node-vault falls back to $VAULT_TOKEN for requests without a token; a request of ours is
  // either sent with the token it names or with none, never with a token picked up implicitly.
  client.token = "";
  const headers = (token?: string) => (token ? { headers: { "X-Vault-Token": token } } : {});

  async function call<T>(path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw mapError(addr, path, err);
    }
  }
  const body = (v: unknown): VaultBody => (v && typeof v === "object" ? (v as VaultBody) : {});

  return {
    addr,
    read: (path, token) => call(path, async () => body(await client.read(path, headers(token)))),
    write: (path, data, token) =>
      call(path, async () => body(await client.write(path, data, headers(token)))),
    list: (path, token) =>
      call(path, async () => {
        const data = body(body(await client.list(path, headers(token))).data);
        return Array.isArray(data.keys) ? data.keys.map(String) : [];
      }),
  };
}

function mapError(addr: string, path: string, err: unknown): Error {
  const response = (err as { response?: { statusCode?: number; body?: unknown } }).response;
  const status = response?.statusCode;
  if (typeof status !== "number") {
    // No HTTP answer at all: refused, reset, DNS, or our timeout. Fail closed and let the caller retry.
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return new AgovError(
      "UNAVAILABLE",
      `Vault at ${addr} is unreachable (${code}); calls are refused until it answers again`,
    );
  }
  const errors = (response?.body as { errors?: unknown } | undefined)?.errors;
  const list = Array.isArray(errors) ? errors.flatMap((e) => flatten(String(e))) : [];
  // Sealed (503), standby or rate limited (429), internal errors: Vault is there but cannot decide.
  if (status >= 500 || status === 429) {
    return new AgovError(
      "UNAVAILABLE",
      `Vault at ${addr} cannot answer (${status}${list.length ? `: ${list.join("; ")}` : ""}); calls are refused until it can`,
    );
  }
  return new VaultApiError(status, list, path);
}

/** Vault wraps several errors as "2 errors occurred:\n\t* a\n\t* b\n\n"; agov's messages are one line. */
function flatten(message: string): string[] {
  if (!/^\d+ errors? occurred:/.test(message)) return [message.trim()];
  return [...message.matchAll(/^\s*\* (.+)$/gm)].map((m) => m[1]!.trim());
}

export const isVaultStatus = (err: unknown, ...statuses: number[]): err is VaultApiError =>
  err instanceof VaultApiError && statuses.includes(err.status);

/** Vault durations on the wire are whole seconds; never round a positive TTL down to 0 (= default). */
export const toSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Runs an operator or gateway operation, turning Vault's refusals into one clear AgovError. */
export async function vaultOperation<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof VaultApiError)) throw err;
    const why = err.errors.join("; ") || `status ${err.status}`;
    if (err.status === 403)
      throw new AgovError(
        "DENIED",
        `Vault refused to ${what}: permission denied on ${err.path}; the token needs the agov-server policy (or an operator's)`,
      );
    if (err.status === 404)
      throw new AgovError("NOT_FOUND", `cannot ${what}: Vault has nothing at ${err.path} (${why})`);
    throw new AgovError("INVALID_INPUT", `Vault refused to ${what}: ${why}`);
  }
}
