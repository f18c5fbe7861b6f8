// Canonical JSON (sorted keys) and digests, used for the ledger's args_digest and its hash chain.
import { createHash } from "node:crypto";

const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|authorization|credential/i;

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** Replaces the values of secret-looking keys, at any depth, with "[redacted]". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? "[redacted]" : redactSecrets(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function argsDigest(args: unknown): string {
  return sha256(canonicalJson(redactSecrets(args ?? null)));
}
