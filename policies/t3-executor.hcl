# t3-executor: trust tier T3 (executor).
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

# --- tools of T2 (builder) ---
path "governance/tools/proposal_create" {
  capabilities = ["read", "update"]
}
path "governance/tools/stage_run" {
  capabilities = ["read", "update"]
}
# command: the project's tests
path "governance/commands/npm/test" {
  capabilities = ["create"]
}
# command: the project's tests, with arguments
path "governance/commands/npm/test/*" {
  capabilities = ["create"]
}
# command: the project's lint
path "governance/commands/npm/run/lint" {
  capabilities = ["create"]
}
# command: the project's checks
path "governance/commands/npm/run/check" {
  capabilities = ["create"]
}
# command: terraform init
path "governance/commands/terraform/init/*" {
  capabilities = ["create"]
}
# command: terraform validate
path "governance/commands/terraform/validate" {
  capabilities = ["create"]
}
# command: terraform plan
path "governance/commands/terraform/plan" {
  capabilities = ["create"]
}
# command: terraform plan, with arguments
path "governance/commands/terraform/plan/*" {
  capabilities = ["create"]
}
# command: Ansible in check mode
path "governance/commands/ansible-playbook/--check/*" {
  capabilities = ["create"]
}
# sandbox admin, frameworks and modules
path "secret/data/sandbox/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# --- tools of T3 (executor) ---
path "governance/tools/packet_create" {
  capabilities = ["read", "update"]
}
path "governance/tools/pipeline_run" {
  capabilities = ["read", "update"]
}
# command: terraform apply
path "governance/commands/terraform/apply" {
  capabilities = ["create"]
}
# command: terraform apply, with arguments
path "governance/commands/terraform/apply/*" {
  capabilities = ["create"]
}
# command: Ansible
path "governance/commands/ansible-playbook/*" {
  capabilities = ["create"]
}
# staging access
path "secret/data/staging/*" {
  capabilities = ["create", "read", "update", "list"]
}
# limited production read
path "secret/data/prod/*" {
  capabilities = ["read", "list"]
}
