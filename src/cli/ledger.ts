// agov ledger migrate --to postgres: the embedded ledger copied, chain and all, into PostgreSQL.
import { ledgerKey, secretUrl } from "../runtime.js";
import { systemClock } from "../util/clock.js";
import { type Parsed, UsageError } from "./args.js";
import type { LEDGER_MIGRATE } from "./commands.js";
import type { CliContext } from "./context.js";

export async function migrate(
  { values }: Parsed<typeof LEDGER_MIGRATE>,
  ctx: CliContext,
): Promise<number> {
  if (values.to !== "postgres")
    throw new UsageError(
      `ledger migrate: --to must be postgres (got ${values.to === undefined ? "nothing" : `"${values.to}"`})`,
    );
  const { config } = ctx;
  if (!config.ledger_url)
    throw new UsageError(
      "ledger migrate: set ledger_url (AGOV_LEDGER_URL=postgres://user:password@host:5432/agov) to the database to copy into",
    );
  const clock = systemClock;
  // Loaded only for this command, like the adapter itself.
  const { migrateToPostgres } = await import("../ledger/migrate.js");
  const done = await migrateToPostgres({
    home: config.home,
    url: await secretUrl(config, config.ledger_url, clock),
    clock,
    ...(await ledgerKey(config, clock)),
  });
  ctx.out(
    `Copied ${done.rows} row(s) into ${done.target}; the copy verifies to the embedded ledger's tip${done.tip ? ` (${done.tip.slice(0, 12)}…)` : ""}.`,
  );
  ctx.err(
    "The embedded ledger is left as it was. Set ledger: postgres (AGOV_LEDGER=postgres) on every instance to write to the copy.",
  );
  return 0;
}
