// GitHub's REST API, the calls pipeline stages make: open a pull request, comment on one, set a
// commit status, merge one. The token comes from GITHUB_TOKEN (or the config); the base URL from
// AGOV_GITHUB_API_URL, for GitHub Enterprise (https://host/api/v3) and for tests.
import type { GitHubClient } from "../pipeline/github-stage.js";

export function createGitHub(opts: {
  apiUrl: string;
  token: string | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): GitHubClient {
  const base = opts.apiUrl.replace(/\/+$/, "");
  const get = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 15_000;

  async function call(
    method: string,
    path: string,
    body: unknown,
  ): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await get(`${base}${path}`, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${opts.token}`,
          "x-github-api-version": "2022-11-28",
          "content-type": "application/json",
          "user-agent": "agov",
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const why =
        (err as Error).name === "TimeoutError"
          ? `no answer in ${timeoutMs} ms`
          : (err as Error).message;
      throw new Error(`${method} ${base}${path}: ${why}`);
    }
    const text = await res.text();
    let data: Record<string, unknown> = {};
    try {
      data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // GitHub answers JSON; anything else is reported by its status below.
    }
    if (!res.ok) {
      const message = typeof data.message === "string" ? data.message : text.slice(0, 200);
      throw new Error(`${method} ${base}${path}: HTTP ${res.status}: ${message}`);
    }
    return data;
  }
  const repoPath = (repo: string) => `/repos/${repo.split("/").map(encodeURIComponent).join("/")}`;

  return {
    apiUrl: base,
    configured: !!opts.token,
    async openPullRequest(repo, pr) {
      const d = await call("POST", `${repoPath(repo)}/pulls`, pr);
      return { number: Number(d.number), url: String(d.html_url ?? "") };
    },
    async comment(repo, number, body) {
      const d = await call("POST", `${repoPath(repo)}/issues/${number}/comments`, { body });
      return { id: Number(d.id), url: String(d.html_url ?? "") };
    },
    async setStatus(repo, sha, s) {
      const d = await call("POST", `${repoPath(repo)}/statuses/${encodeURIComponent(sha)}`, s);
      return { id: Number(d.id) };
    },
    async reviews(repo, number) {
      const list = (await call(
        "GET",
        `${repoPath(repo)}/pulls/${number}/reviews?per_page=100`,
        undefined,
      )) as unknown;
      return (Array.isArray(list) ? list : []).map(
        (r: { user?: { login?: unknown }; state?: unknown }) => ({
          user: String(r.user?.login ?? "?"),
          state: String(r.state ?? ""),
        }),
      );
    },
    async merge(repo, number, method) {
      const d = await call("PUT", `${repoPath(repo)}/pulls/${number}/merge`, {
        merge_method: method,
      });
      return { sha: String(d.sha ?? ""), merged: d.merged === true };
    },
  };
}
