// agov policies apply: writes policies/*.hcl into Vault and enables the AppRole mount, with an
// operator's VAULT_TOKEN; the run is recorded in the audit ledger.
import { policyDirs } from "../runtime.js";
import { type Parsed, UsageError } from "./args.js";
import type { POLICIES_APPLY } from "./commands.js";
import type { CliContext } from "./context.js";

export async function apply(
  { values }: Parsed<typeof POLICIES_APPLY>,
  ctx: CliContext,
): Promise<number> {
  const { addr, token } = operatorVault(ctx, "policies apply");
  const { applyPolicies, createVaultHttp } = await vaultAdmin();
  const result = await applyPolicies(createVaultHttp(addr, 10_000), token, policyDirs(ctx.config));
  const rt = await ctx.runtime();
  await rt.ledger.record(
    {
      kind: "operator",
      agent_id: "operator:cli",
      action: `policies apply: ${result.written.join(", ")} to ${addr}${result.enabledAppRole ? "; enabled auth/approle" : ""}`,
      decision: "allow",
    },
    { success: true },
  );
  if (values.json)
    ctx.out(JSON.stringify({ written: result.written, enabled_approle: result.enabledAppRole }));
  else
    ctx.err(
      `Wrote ${result.written.length} policies to ${addr}: ${result.written.join(", ")}.` +
        (result.enabledAppRole
          ? " Enabled the AppRole auth method at auth/approle/."
          : " AppRole was already enabled."),
    );
  return 0;
}

/** Loaded on use, so that commands which never talk to Vault do not load node-vault. */
export async function vaultAdmin() {
  const [admin, client] = await Promise.all([
    import("../authority/vault-admin.js"),
    import("../authority/vault-client.js"),
  ]);
  return { ...admin, createVaultHttp: client.createVaultHttp };
}

/** VAULT_ADDR and an operator's VAULT_TOKEN, which the set-up commands need. */
export function operatorVault(ctx: CliContext, command: string): { addr: string; token: string } {
  if (!ctx.config.vault_addr)
    throw new UsageError(`${command}: set VAULT_ADDR to the Vault to set up`);
  if (!ctx.config.vault_token)
    throw new UsageError(
      `${command}: set VAULT_TOKEN to an operator's Vault token (it writes policies and roles)`,
    );
  return { addr: ctx.config.vault_addr, token: ctx.config.vault_token };
}
