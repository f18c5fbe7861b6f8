#!/bin/sh
# Sets up a Vault for agov with the agov CLI: writes policies/*.hcl, enables AppRole, creates the
# gateway's own role (agov-server) and one role per agent, and stores each role's credentials in
# $CREDS_DIR. Needs VAULT_ADDR and an operator's VAULT_TOKEN (the dev root token in compose).
# Safe to run again: policies and roles are rewritten, and each run issues fresh secret ids.
set -eu
: "${VAULT_ADDR:?set VAULT_ADDR}"
: "${VAULT_TOKEN:?set VAULT_TOKEN to an operator token}"
CREDS_DIR=${CREDS_DIR:-/creds}
# id:tier for each agent; GAMMA mediates, and opening proposals (proposal_create) is T2.
AGENTS=${AGENTS:-"alpha:1 beta:1 gamma:2"}
agov() { node /app/bin/agov.js "$@"; }
umask 077

agov policies apply

# The gateway logs in with its own AppRole; `serve` reads these two lines as its environment.
agov agent create --server --json > "$CREDS_DIR/agov-server.json"
node -p 'const r = require(process.argv[1]); `VAULT_ROLE_ID=${r.role_id}\nVAULT_SECRET_ID=${r.secret_id}`' \
  "$CREDS_DIR/agov-server.json" > "$CREDS_DIR/agov-server.env"

for spec in $AGENTS; do
  id=${spec%%:*}
  tier=${spec##*:}
  agov agent create --agent "$id" --tier "$tier" --json > "$CREDS_DIR/$id.json"
  echo "AppRole $id at T$tier: credentials in $CREDS_DIR/$id.json" >&2
done

# The seed keeps the DragonflyDB connection in Vault, readable by the agov-server policy.
if [ -n "${REDIS_URL:-}" ]; then
  node -e '
    const url = `${process.env.VAULT_ADDR}/v1/secret/data/services/dragonfly`;
    fetch(url, {
      method: "POST",
      headers: { "X-Vault-Token": process.env.VAULT_TOKEN, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { url: process.env.REDIS_URL } }),
    }).then((r) => { if (!r.ok) { console.error(`writing ${url}: ${r.status}`); process.exit(1); } });
  '
fi
echo "Vault at $VAULT_ADDR is ready for agov." >&2
