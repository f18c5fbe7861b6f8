// The ports seen by telemetry: child spans of the current governed call for ledger, state and
// authority work, ledger append latency and lag, lock contention. Applied by the runtime only when
// telemetry is on, so the ports are untouched (and cost nothing extra) when it is off.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Telemetry } from "./index.js";

type Fn = (...a: unknown[]) => Promise<unknown>;

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** The listed async methods of `part` (all of its functions when none are listed) each run in a
 * child span named `<prefix><method>`. */
function traced<T extends object>(
  tel: Telemetry,
  part: T,
  prefix: string,
  names?: readonly string[],
): T {
  const out = { ...part } as Record<string, unknown>;
  for (const [name, value] of Object.entries(part))
    if (typeof value === "function" && (!names || names.includes(name)))
      out[name] = (...a: unknown[]) =>
        tel.child(`${prefix}${name}`, () => (value as Fn).apply(part, a));
  return out as T;
}

/** The ledger's reads (its appends are timed apart); complete() is synchronous and stays bare. */
const LEDGER_READS = [
  "flush",
  "query",
  "matching",
  "verify",
  "anchor",
  "count",
  "revocations",
  "violations",
  "promotions",
  "metrics",
] as const satisfies readonly (keyof Ledger)[];

const AUTHORITY_CALLS = [
  "resolve",
  "grants",
  "tierGrants",
  "issue",
  "revokeAgent",
  "list",
  "tierOf",
  "setTier",
] as const satisfies readonly (keyof Authority)[];

export function traceLedger(ledger: Ledger, tel: Telemetry): Ledger {
  const append =
    (op: "record" | "begin") =>
    (...a: unknown[]): Promise<number> =>
      tel.child(`ledger ${op}`, async () => {
        const started = process.hrtime.bigint();
        tel.ledgerPending(1);
        let ok = false;
        try {
          const id = await (ledger[op] as Fn).apply(ledger, a);
          ok = true;
          return id as number;
        } finally {
          tel.ledgerPending(-1);
          tel.ledgerAppend(op, seconds(started), ok);
        }
      });
  return {
    ...traced(tel, ledger, "ledger ", LEDGER_READS),
    record: append("record"),
    begin: append("begin"),
    complete: (id, outcome) => ledger.complete(id, outcome),
    close: () => ledger.close(),
  };
}

export function traceState(store: StateStore, tel: Telemetry): StateStore {
  const out = { ...store } as StateStore & Record<string, unknown>;
  for (const [ns, part] of Object.entries(store))
    if (part && typeof part === "object" && ns !== "events")
      out[ns] = traced(tel, part as object, `state ${ns}.`);
  const locks = out.locks;
  out.locks = {
    ...locks,
    async acquire(...a) {
      const started = process.hrtime.bigint();
      const res = await locks.acquire(...a);
      tel.lockAcquire(res.acquired, seconds(started));
      return res;
    },
  };
  out.close = () => store.close();
  return out;
}

export function traceAuthority(authority: Authority, tel: Telemetry): Authority {
  return {
    ...traced(tel, authority, "authority ", AUTHORITY_CALLS),
    kind: authority.kind,
    close: () => authority.close(),
  };
}
