// agov agent create: one Vault AppRole role per agent (role_name = agent id) at its tier, or the
// gateway's own role with --server; prints the role id and a fresh secret id, once.
import { isTier, TIER_NAMES, type Tier } from "../authority/index.js";
import { formatDuration } from "../util/duration.js";
import { agentOption, intOption, type Parsed, required, UsageError } from "./args.js";
import type { AGENT_CREATE } from "./commands.js";
import type { CliContext } from "./context.js";
import { operatorVault, vaultAdmin } from "./policies.js";

export async function create(
  { values }: Parsed<typeof AGENT_CREATE>,
  ctx: CliContext,
): Promise<number> {
  let who: { agentId: string; tier: Tier } | { server: true };
  if (values.server) {
    if (values.agent || values.tier)
      throw new UsageError("agent create: --server takes neither --agent nor --tier");
    who = { server: true };
  } else {
    const agentId = agentOption(values.agent, "agent create");
    const tier = intOption(
      required(values.tier, "tier", "agent create"),
      "tier",
      "agent create",
      0,
      4,
    );
    if (!isTier(tier)) throw new UsageError("agent create: --tier must be 0-4");
    who = { agentId, tier };
  }
  const { addr, token } = operatorVault(ctx, "agent create");
  const { createRole, createVaultHttp } = await vaultAdmin();
  const role = await createRole(createVaultHttp(addr, 10_000), token, who);
  const rt = await ctx.runtime();
  const what = "server" in who ? "the agov gateway" : `${who.agentId} at T${who.tier}`;
  await rt.ledger.record(
    {
      kind: "operator",
      agent_id: "operator:cli",
      action: `agent create: AppRole ${role.role} for ${what} (secret id accessor ${role.secret_id_accessor})`,
      decision: "allow",
    },
    { success: true },
  );
  if ("agentId" in who)
    await rt.ledger.record(
      {
        kind: "tier",
        agent_id: who.agentId,
        tier: who.tier,
        action: `tier set to T${who.tier} by agent create`,
        decision: "allow",
        detail: { tier: who.tier, by: "operator:cli" },
      },
      { success: true },
    );
  if (values.json) {
    ctx.out(JSON.stringify(role));
    return 0;
  }
  ctx.out(`role_id    ${role.role_id}\nsecret_id  ${role.secret_id}`);
  const tierText = "agentId" in who ? ` at T${who.tier} (${TIER_NAMES[who.tier]})` : "";
  ctx.err(
    `AppRole ${role.role}${tierText}: policies ${role.token_policies.join(", ")}; token TTL ${formatDuration(role.token_ttl * 1000)}, renewable up to ${formatDuration(role.token_max_ttl * 1000)}. ` +
      "The secret id is shown only once: give both to the agent as VAULT_ROLE_ID and VAULT_SECRET_ID.",
  );
  return 0;
}
