// agov doctor: checks the configuration, AGOV_HOME's files and permissions, and every configured
// dependency (Redis, the PostgreSQL ledger, Vault, the model endpoint), prints one row each with what to fix, and exits 1
// when anything fails, so a script can gate on it.
import type { Parsed } from "./args.js";
import type { DOCTOR } from "./commands.js";
import type { CliContext } from "./context.js";
import {
  type Check,
  configCheck,
  fileChecks,
  modelCheck,
  redisCheck,
  vaultCheck,
} from "./doctor-checks.js";
import { ledgerCheck } from "./doctor-ledger.js";
import { table } from "./token.js";

export async function doctor({ values }: Parsed<typeof DOCTOR>, ctx: CliContext): Promise<number> {
  const { config } = ctx;
  const remote = await Promise.all([
    redisCheck(config),
    ledgerCheck(config),
    vaultCheck(config),
    modelCheck(config),
  ]);
  const checks: Check[] = [
    configCheck(config),
    ...fileChecks(config),
    ...remote.filter((c): c is Check => c !== null),
  ];
  const ok = checks.every((c) => c.status !== "fail");
  if (values.json) {
    ctx.out(JSON.stringify({ ok, checks }, null, 2));
    return ok ? 0 : 1;
  }
  ctx.out(
    table(
      ["CHECK", "STATUS", "DETAIL"],
      checks.map((c) => [c.check, c.status, c.detail]),
    ),
  );
  const fixes = checks.filter((c) => c.fix);
  if (fixes.length > 0) {
    ctx.out("\nTo fix:");
    for (const c of fixes) ctx.out(`  ${c.check}: ${c.fix}`);
  }
  ctx.out(ok ? "\nEverything agov needs is in order." : "\nagov cannot run as configured.");
  return ok ? 0 : 1;
}
