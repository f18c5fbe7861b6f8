// What a failed connection to a running `agov serve --http` means for the person at the CLI: the
// server answered and refused the token (401/403), or it could not be reached at all.
import { AgovError } from "../util/errors.js";

export function remoteFailure(url: string, err: unknown, hint: string): AgovError {
  const status = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 401 || status === 403) {
    // The SDK client puts the server's JSON answer in its message; its description is agov's own.
    const body = message.slice(message.indexOf("{"));
    let reason = message;
    try {
      const said = (JSON.parse(body) as { error_description?: unknown }).error_description;
      if (typeof said === "string") reason = said.replace(/^[A-Z_]+: /, "");
    } catch {
      // Not JSON: the message as it is.
    }
    return new AgovError("UNAUTHENTICATED", `agov at ${url} refused the token: ${reason}`);
  }
  return new AgovError("UNAVAILABLE", `cannot reach agov at ${url}: ${message} (${hint})`);
}
