# t1-operator: trust tier T1 (operator).
# Generated from tools/index.ts by `npm run gen`; do not edit by hand.
# Each tier holds everything the tiers below it hold.

# --- tools of T0 (observer) ---
path "governance/tools/whoami" {
  capabilities = ["read", "update"]
}
path "governance/tools/health" {
  capabilities = ["read", "update"]
}
path "governance/tools/heartbeat" {
  capabilities = ["read", "update"]
}
path "governance/tools/lock_status" {
  capabilities = ["read", "update"]
}
path "governance/tools/blackboard_read" {
  capabilities = ["read", "update"]
}
path "governance/tools/message_read" {
  capabilities = ["read", "update"]
}
path "governance/tools/audit_query" {
  capabilities = ["read", "update"]
}
path "governance/tools/packet_get" {
  capabilities = ["read", "update"]
}
path "governance/tools/phase_transition" {
  capabilities = ["read", "update"]
}
path "governance/tools/artifact_record" {
  capabilities = ["read", "update"]
}
path "governance/tools/artifact_read" {
  capabilities = ["read", "update"]
}
path "governance/tools/error_report" {
  capabilities = ["read", "update"]
}
path "governance/tools/handoff_read" {
  capabilities = ["read", "update"]
}
path "governance/tools/promotion_request" {
  capabilities = ["read", "update"]
}
path "governance/tools/consensus_status" {
  capabilities = ["read", "update"]
}
path "governance/tools/spawn_conditions" {
  capabilities = ["read", "update"]
}
path "governance/tools/pipeline_status" {
  capabilities = ["read", "update"]
}
path "governance/tools/pipeline_describe" {
  capabilities = ["read", "update"]
}
# read docs
path "secret/data/docs/*" {
  capabilities = ["read", "list"]
}
# read inventory
path "secret/data/inventory/*" {
  capabilities = ["read", "list"]
}
# read logs
path "secret/data/logs/*" {
  capabilities = ["read", "list"]
}

# --- tools of T1 (operator) ---
path "governance/tools/lock_acquire" {
  capabilities = ["read", "update"]
}
path "governance/tools/lock_refresh" {
  capabilities = ["read", "update"]
}
path "governance/tools/lock_release" {
  capabilities = ["read", "update"]
}
path "governance/tools/blackboard_post" {
  capabilities = ["read", "update"]
}
path "governance/tools/message_send" {
  capabilities = ["read", "update"]
}
path "governance/tools/vote_cast" {
  capabilities = ["read", "update"]
}
path "governance/tools/findings_list" {
  capabilities = ["read", "update"]
}
path "governance/tools/checkpoint_save" {
  capabilities = ["read", "update"]
}
path "governance/tools/checkpoint_load" {
  capabilities = ["read", "update"]
}
# sandbox SSH certificates
path "ssh/sign/sandbox" {
  capabilities = ["update"]
}
# basic Proxmox access
path "secret/data/services/proxmox-basic" {
  capabilities = ["read"]
}
# Ansible in check mode
path "secret/data/ansible/check-mode" {
  capabilities = ["read"]
}
