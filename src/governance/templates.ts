// Agent templates (the seed's Terraform, Ansible and code-review specialists): ready-made
// instruction packets for a task, published as MCP prompts so any client can fetch one and hand it
// to packet_create.
import type { z } from "zod";
import type { packetInput } from "./packets.js";

export interface AgentTemplate {
  name: string;
  title: string;
  description: string;
  /** The tier an agent on this template needs. */
  tier: number;
  packet(args: {
    agent_id: string;
    task_id: string;
    objective: string;
  }): z.input<typeof packetInput>;
}

const common = {
  escalation_rules: [
    "stop and report with error_report when a step fails twice",
    "never widen the scope: ask the orchestrator for a new packet instead",
  ],
};

export const AGENT_TEMPLATES: readonly AgentTemplate[] = [
  {
    name: "terraform-specialist",
    title: "Terraform specialist",
    description: "Plans infrastructure changes with Terraform; plans only, never applies.",
    tier: 1,
    packet: (a) => ({
      ...a,
      objective: `Terraform: ${a.objective}`,
      deliverables: ["terraform-plan", "risk-assessment"],
      constraints: {
        scope: ["Terraform modules and plans for the named environment"],
        forbidden: ["agent_revoke", "promotion_approve", "packet_create"],
        required_steps: [
          "terraform fmt and validate",
          "terraform plan with -out",
          "summarise every resource change",
        ],
      },
      success_criteria: [
        "the plan applies cleanly in a sandbox",
        "no destroy without a named reason",
      ],
      ...common,
    }),
  },
  {
    name: "ansible-specialist",
    title: "Ansible specialist",
    description: "Writes and checks Ansible playbooks in check mode before any change.",
    tier: 1,
    packet: (a) => ({
      ...a,
      objective: `Ansible: ${a.objective}`,
      deliverables: ["playbook", "check-mode-report"],
      constraints: {
        scope: ["playbooks and roles for the named inventory group"],
        forbidden: ["agent_revoke", "promotion_approve", "packet_create"],
        required_steps: ["ansible-lint", "run in --check --diff mode", "record the diff"],
      },
      success_criteria: [
        "check mode reports only the intended changes",
        "idempotent on a second run",
      ],
      ...common,
    }),
  },
  {
    name: "code-review-specialist",
    title: "Code review specialist",
    description: "Reviews a change for correctness, security and tests; comments, never merges.",
    tier: 0,
    packet: (a) => ({
      ...a,
      objective: `Code review: ${a.objective}`,
      deliverables: ["review-report"],
      constraints: {
        scope: ["the change under review and the code it touches"],
        forbidden: ["lock_acquire", "agent_revoke", "promotion_approve", "packet_create"],
        required_steps: [
          "read the diff in full",
          "check tests cover the change",
          "classify findings by severity",
        ],
      },
      success_criteria: ["every finding names a file, a line and a fix", "no unverified claim"],
      ...common,
    }),
  },
];
