// The console's only way to the server: the gateway's governed calls (/console/api/call), the
// caller's tool list (/console/api/tools) and the change stream (/console/events). The token lives
// in sessionStorage and travels as a bearer header, never in a URL or a cookie.
const KEY = "agov.console.token";

export const session = {
  token: () => sessionStorage.getItem(KEY),
  signIn: (token) => sessionStorage.setItem(KEY, token),
  signOut: () => sessionStorage.removeItem(KEY),
};

function authHeaders() {
  return { authorization: `Bearer ${session.token()}` };
}

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { ...authHeaders(), "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
  const answer = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (res.status === 401)
    window.dispatchEvent(new CustomEvent("agov-signed-out", { detail: answer.error }));
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}

/** A governed call: its structured result, or an Error carrying the gateway's refusal. */
export async function call(name, args = {}) {
  const result = await post("/console/api/call", { name, arguments: args });
  if (result.isError) {
    const err = new Error((result.content ?? []).map((c) => c.text ?? "").join("\n"));
    err.code = result._meta?.["agov/error"]?.code;
    // The token stopped working (expired, revoked, unknown): the page goes back to sign-in.
    if (["EXPIRED", "REVOKED", "UNAUTHENTICATED"].includes(err.code))
      window.dispatchEvent(new CustomEvent("agov-signed-out", { detail: err.message }));
    throw err;
  }
  return result.structuredContent ?? {};
}

/** The tools this caller's token is granted: the controls the console may show. */
export async function grantedTools() {
  return (await post("/console/api/tools", {})).tools.map((t) => t.name);
}

/**
 * Follows /console/events: calls onChange(type) for each change (a type, never its content),
 * onStatus("live" | "reconnecting" | "signed-out"). Returns a function that stops it.
 */
export function watch(onChange, onStatus) {
  let stopped = false;
  let controller;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch("/console/events", {
          headers: authHeaders(),
          signal: controller.signal,
          credentials: "omit",
        });
        if (res.status === 401) return onStatus("signed-out");
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
            const event = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (event === "ready") onStatus("live");
            else if (event === "signed-out") return onStatus("signed-out");
            else if (event === "change") onChange(JSON.parse(data ?? "{}").type);
          }
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      onStatus("reconnecting");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

// OAuth 2.1 sign-in through agov's own authorization server: the console registers itself as a
// public client, sends the browser to /authorize with a PKCE S256 challenge, and trades the code it
// comes back with for an access token. Only the short-lived code ever travels in the address.
const OAUTH = "agov.console.oauth";
const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

export async function startOAuth() {
  if (!crypto.subtle)
    throw new Error(
      "OAuth sign-in needs a secure page (https, or http on localhost); paste a token instead",
    );
  const redirect = `${location.origin}/console/`;
  const reg = await fetch("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "agov console",
      redirect_uris: [redirect],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }),
  });
  const client = await reg.json().catch(() => ({}));
  if (!reg.ok)
    throw new Error(`client registration refused: ${client.error_description ?? reg.status}`);
  const verifier = random(32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = random(16);
  sessionStorage.setItem(
    OAUTH,
    JSON.stringify({ client_id: client.client_id, verifier, state, redirect }),
  );
  location.assign(
    `/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: redirect,
      code_challenge: b64url(new Uint8Array(digest)),
      code_challenge_method: "S256",
      state,
    })}`,
  );
}

/** On the way back from /authorize: the code traded for a token (true), or null when none came. */
export async function finishOAuth() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(OAUTH) ?? "null");
  sessionStorage.removeItem(OAUTH);
  history.replaceState(null, "", "/console/");
  if (error) throw new Error(`sign-in refused: ${params.get("error_description") ?? error}`);
  if (!pending || params.get("state") !== pending.state)
    throw new Error("this sign-in answer is not for a sign-in this tab started; sign in again");
  const res = await fetch("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      code_verifier: pending.verifier,
      redirect_uri: pending.redirect,
      client_id: pending.client_id,
    }),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new Error(`sign-in failed: ${answer.error_description ?? answer.error ?? res.status}`);
  session.signIn(answer.access_token);
  return true;
}
