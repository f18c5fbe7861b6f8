// docs/errors.md, rendered from the one table of codes and reasons (npm run gen; checked by a test).
import { ERROR_CODES, ERRORS, REASON_NAMES, REASONS } from "./errors.js";

export function renderErrorsDoc(): string {
  return [
    "# Errors",
    "",
    "Generated from `src/util/errors.ts` by `npm run gen`; a test fails when this page and the code differ.",
    "",
    "Every refused or failed call answers with a tool error whose text starts with its **code** (and,",
    "when a finer rule answered, its **reason** in parentheses): `DENIED (AGENT_PREVIOUSLY_REVOKED): …`.",
    'The same come as data in `_meta["agov/error"]` — `{code, reason?, retryable, …details}` — and',
    "on the call's ledger row as `error_type` and `error_reason` (`agov audit query --json`).",
    "Retry only what is `retryable`; a message says what was wrong and what to do.",
    "",
    "## Codes",
    "",
    "| code | retryable | meaning |",
    "|---|---|---|",
    ...ERROR_CODES.map(
      (c) => `| \`${c}\` | ${ERRORS[c].retryable ? "yes" : "no"} | ${ERRORS[c].meaning} |`,
    ),
    "",
    "## Reasons",
    "",
    "A reason names the rule behind an answer, under its usual code. Revocation reasons (code",
    "`REVOKED`) are also the `reason_type` of the `revocations` view; when a call broke a rule and so",
    "caused a revocation (`PROCEDURE_VIOLATION`, `FORBIDDEN_ACTION`), its own code and the revocation's",
    "reason carry the same name.",
    "",
    "| reason | code | meaning |",
    "|---|---|---|",
    ...REASON_NAMES.map((r) => `| \`${r}\` | \`${REASONS[r].code}\` | ${REASONS[r].meaning} |`),
    "",
  ].join("\n");
}
