// What `agov doctor` looks at, one function per concern, each answering ok / warn / fail and, when
// not ok, what to do about it. Nothing here starts a server or writes a file.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { address, vaultHealth } from "../health/dependencies.js";
import { defaultKeyFile } from "../ledger/key.js";

export interface Check {
  check: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

const TIMEOUT_MS = 2000;

export function configCheck(config: Config): Check {
  const model = config.openrouter_api_key
    ? "openrouter"
    : config.openai_api_key || config.openai_base_url
      ? "openai-compatible"
      : "offline";
  return {
    check: "config",
    status: "ok",
    detail: `state ${config.state}, ledger ${config.ledger}, authority ${config.authority}, model ${model}, log level ${config.log_level}`,
  };
}

/** AGOV_HOME and the files in it: present, writable, and readable by no other local user. */
export function fileChecks(config: Config): Check[] {
  const home = config.home;
  if (!existsSync(home))
    return [
      {
        check: "home",
        status: "ok",
        detail: `${home} does not exist yet; agov creates it (mode 0700) on first use`,
      },
    ];
  const st = statSync(home);
  if (!st.isDirectory())
    return [
      {
        check: "home",
        status: "fail",
        detail: `${home} is not a folder`,
        fix: `move it away, or set AGOV_HOME to a folder`,
      },
    ];
  const out: Check[] = [];
  try {
    accessSync(home, constants.W_OK | constants.X_OK);
    out.push(
      (st.mode & 0o077) === 0
        ? { check: "home", status: "ok", detail: `${home} (mode 0700)` }
        : {
            check: "home",
            status: "warn",
            detail: `${home} is open to other users (mode ${mode(st.mode)})`,
            fix: `chmod 700 ${home}`,
          },
    );
  } catch {
    out.push({
      check: "home",
      status: "fail",
      detail: `${home} is not writable by this user`,
      fix: `chown it to the user that runs agov, or set AGOV_HOME elsewhere`,
    });
  }
  const keyFile = config.ledger_key?.startsWith("vault:")
    ? undefined
    : (config.ledger_key ?? defaultKeyFile(home));
  const files = ["ledger.db", "authority.db", "state.db"].map((f) => join(home, f));
  for (const file of [...files, ...(keyFile ? [keyFile] : [])]) {
    if (!existsSync(file)) continue;
    const m = statSync(file).mode;
    if ((m & 0o077) !== 0)
      out.push({
        check: "files",
        status: "warn",
        detail: `${file} is readable by other users (mode ${mode(m)})`,
        fix: `chmod 600 ${file}`,
      });
  }
  if (keyFile && existsSync(join(home, "ledger.db")) && !existsSync(keyFile))
    out.push({
      check: "files",
      status: "fail",
      detail: `the ledger exists but its key ${keyFile} is missing: the chain cannot be verified`,
      fix: `restore ${keyFile} from your backup`,
    });
  else if (!out.some((c) => c.check === "files"))
    out.push({ check: "files", status: "ok", detail: "ledger, tokens, state and key: private" });
  return out;
}

export async function redisCheck(config: Config): Promise<Check | null> {
  if (config.state !== "redis") return null;
  const where = address(config.redis_url, "6379");
  if (config.redis_url.startsWith("vault:"))
    return {
      check: "redis",
      status: "ok",
      detail: `the URL is read from Vault (${config.redis_url.slice(6)}) at start; checked by 'agov serve'`,
    };
  // One attempt, no reconnecting: the doctor asks once and says what it found. The time limit is
  // ours (an unref'd timer): ioredis's own connect timer would keep the process up after the answer.
  const { probeClient } = await import("../state/redis-connection.js");
  const redis = probeClient(config.redis_url, "agov-doctor");
  let cause: string | undefined;
  redis.on("error", (err: Error) => {
    cause ??= err.message;
  });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), limit]);
    return { check: "redis", status: "ok", detail: `Redis at ${where} answers` };
  } catch (err) {
    cause ??= (err as Error).message;
    return {
      check: "redis",
      status: "fail",
      detail: `Redis at ${where} does not answer (${cause})`,
      fix: `start Redis at ${where}, or fix REDIS_URL (or set AGOV_STATE=sqlite for the embedded store)`,
    };
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

export async function vaultCheck(config: Config): Promise<Check | null> {
  if (config.authority !== "vault" || !config.vault_addr) return null;
  const addr = config.vault_addr;
  const creds = !!config.vault_token || (!!config.vault_role_id && !!config.vault_secret_id);
  try {
    await vaultHealth(addr, TIMEOUT_MS);
  } catch (err) {
    return {
      check: "vault",
      status: "fail",
      detail: (err as Error).message,
      fix: `start or unseal Vault at ${addr}, or fix VAULT_ADDR`,
    };
  }
  if (!creds)
    return {
      check: "vault",
      status: "fail",
      detail: `Vault at ${addr} answers, but agov has no credentials for it`,
      fix: "set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (agov agent create --server)",
    };
  return { check: "vault", status: "ok", detail: `Vault at ${addr} answers (unsealed)` };
}

/** The model endpoint's /models, with the configured key: reachable, and the key accepted. */
export async function modelCheck(config: Config): Promise<Check> {
  const key = config.openrouter_api_key ?? config.openai_api_key;
  if (!key && !config.openai_base_url)
    return { check: "model", status: "ok", detail: "no key set: runs use the offline model" };
  const base = config.openrouter_api_key
    ? "https://openrouter.ai/api/v1"
    : (config.openai_base_url ?? "https://api.openai.com/v1");
  const url = `${base.replace(/\/$/, "")}/models`;
  try {
    const res = await fetch(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403)
      return {
        check: "model",
        status: "fail",
        detail: `${base} refused the API key (${res.status})`,
        fix: "check OPENROUTER_API_KEY / OPENAI_API_KEY",
      };
    if (res.status >= 500)
      return {
        check: "model",
        status: "warn",
        detail: `${base} answers ${res.status}: the endpoint is having trouble`,
        fix: "agents ride out a model outage; try again later",
      };
    return { check: "model", status: "ok", detail: `${base} answers` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return {
      check: "model",
      status: "fail",
      detail: `${base} is unreachable (${cause})`,
      fix: "check OPENAI_BASE_URL and the network, or unset the keys to use the offline model",
    };
  }
}

const mode = (m: number) => `0${(m & 0o777).toString(8)}`;
