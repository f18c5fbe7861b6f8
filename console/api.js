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
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}

/** A governed call: its structured result, or an Error carrying the gateway's refusal. */
export async function call(name, args = {}) {
  const result = await post("/console/api/call", { name, arguments: args });
  if (result.isError) {
    const err = new Error((result.content ?? []).map((c) => c.text ?? "").join("\n"));
    err.code = result._meta?.["agov/error"]?.code;
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
