// Vault ACL policies: a small HCL reader for `path "…" { capabilities = [...] }` blocks and an
// evaluator that applies Vault's path rules, so the local authority decides exactly as Vault would.

export const CAPABILITIES = [
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface PathRule {
  path: string;
  capabilities: Capability[];
}
export interface Policy {
  name: string;
  rules: PathRule[];
}

export class PolicyParseError extends Error {
  override name = "PolicyParseError";
}

/** Parses the subset of HCL that ACL policies use. Throws PolicyParseError naming the line. */
export function parsePolicy(name: string, text: string): Policy {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "));
  const lines = src.split("\n").map((l) => l.replace(/(^|\s)(#|\/\/).*$/, ""));
  const body = lines.join("\n");
  const rules: PathRule[] = [];
  const block = /path\s+"([^"]+)"\s*\{([^}]*)\}/gy;
  let pos = 0;
  const lineOf = (i: number) => body.slice(0, i).split("\n").length;
  while (pos < body.length) {
    const ws = /\s*/y;
    ws.lastIndex = pos;
    ws.exec(body);
    pos = ws.lastIndex;
    if (pos >= body.length) break;
    block.lastIndex = pos;
    const m = block.exec(body);
    if (!m)
      throw new PolicyParseError(
        `${name}: line ${lineOf(pos)}: expected 'path "<path>" { capabilities = [...] }'`,
      );
    const [, path, inner] = m;
    const caps = /^\s*capabilities\s*=\s*\[([^\]]*)\]\s*$/.exec(inner ?? "");
    if (!caps)
      throw new PolicyParseError(
        `${name}: line ${lineOf(pos)}: path "${path}" needs 'capabilities = [...]'`,
      );
    const list = (caps[1] ?? "")
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean)
      .map((c) => c.replace(/^"|"$/g, ""));
    for (const c of list) {
      if (!(CAPABILITIES as readonly string[]).includes(c)) {
        throw new PolicyParseError(
          `${name}: line ${lineOf(pos)}: unknown capability "${c}" on path "${path}"`,
        );
      }
    }
    rules.push({ path: path!, capabilities: list as Capability[] });
    pos = block.lastIndex;
  }
  return { name, rules };
}

function matches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith("*");
  const pat = glob ? pattern.slice(0, -1) : pattern;
  const pSegs = pat.split("/");
  const segs = path.split("/");
  if (!pat.includes("+")) return glob ? path.startsWith(pat) : path === pat;
  // With `+` segments, compare segment by segment; the last pattern segment may be a prefix when globbed.
  if (!glob && pSegs.length !== segs.length) return false;
  if (glob && segs.length < pSegs.length) return false;
  for (let i = 0; i < pSegs.length; i++) {
    const p = pSegs[i]!;
    const s = segs[i]!;
    const last = i === pSegs.length - 1;
    if (p === "+") {
      if (s.length === 0) return false;
      continue;
    }
    if (last && glob) {
      if (!segs.slice(i).join("/").startsWith(p)) return false;
      return true;
    }
    if (p !== s) return false;
  }
  return true;
}

/**
 * Vault's priority between two matching patterns (true when a beats b): a wildcard appearing later
 * wins; a pattern without a trailing `*` beats one with it; fewer `+` wins; longer wins; then
 * lexicographically greater wins.
 */
function beats(a: string, b: string): boolean {
  const firstWild = (p: string) => {
    const i = p.search(/[+*]/);
    return i === -1 ? Number.POSITIVE_INFINITY : i;
  };
  const fa = firstWild(a);
  const fb = firstWild(b);
  if (fa !== fb) return fa > fb;
  const ga = a.endsWith("*");
  const gb = b.endsWith("*");
  if (ga !== gb) return !ga;
  const pa = (a.match(/\+/g) ?? []).length;
  const pb = (b.match(/\+/g) ?? []).length;
  if (pa !== pb) return pa < pb;
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/**
 * The capabilities a set of policies grants on a path, as `sys/capabilities-self` answers:
 * rules on the same pattern are merged (a `deny` there wins), the most specific matching pattern
 * decides, and no match answers ["deny"].
 */
export function capabilitiesFor(policies: readonly Policy[], path: string): Capability[] {
  const merged = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (!matches(rule.path, path)) continue;
      const set = merged.get(rule.path) ?? new Set<Capability>();
      for (const c of rule.capabilities) set.add(c);
      merged.set(rule.path, set);
    }
  }
  let best: string | undefined;
  for (const pattern of merged.keys())
    if (best === undefined || beats(pattern, best)) best = pattern;
  if (best === undefined) return ["deny"];
  const caps = merged.get(best)!;
  if (caps.has("deny") || caps.size === 0) return ["deny"];
  return [...caps].sort();
}

/** A tool path is granted when its capabilities allow reading or writing it (or the token is root). */
export function grantsTool(capabilities: readonly string[]): boolean {
  return capabilities.some((c) => c === "read" || c === "update" || c === "root");
}

export const toolPath = (tool: string) => `governance/tools/${tool}`;

/**
 * The policy path of a command a pipeline stage runs: its argv as path segments, each escaped so
 * that no argument can name another path (no "/", ".", "*" or "+" survives unescaped).
 */
export const commandPath = (argv: readonly string[]) =>
  `governance/commands/${argv.map(commandSegment).join("/")}`;

function commandSegment(arg: string): string {
  if (arg === "") return "%00";
  return encodeURIComponent(arg).replace(
    /[!'()*.~+]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A command path is granted when its capabilities allow creating or updating it (or root). */
export function grantsCommand(capabilities: readonly string[]): boolean {
  return capabilities.some((c) => c === "create" || c === "update" || c === "root");
}
