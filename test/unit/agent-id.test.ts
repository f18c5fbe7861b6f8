// One agent-id rule for the tools, the CLI and the authority: it names a Vault role and appears in
// key names, so "/" and anything needing quotes are refused everywhere alike.
import { describe, expect, it } from "vitest";
import { agentOption, UsageError } from "../../src/cli/args.js";
import { agentId } from "../../tools/fields.js";

describe("agent ids", () => {
  it.each(["alpha", "run-1.plan_2", "orchestrator:42", "A".repeat(200)])("accepts %s", (id) => {
    expect(agentId.safeParse(id).success).toBe(true);
    expect(agentOption(id, "token issue")).toBe(id);
  });

  it.each(["a/b", "-lead", "", "a b", "é", "A".repeat(201)])(
    "refuses %j in tools and CLI",
    (id) => {
      const tool = agentId.safeParse(id);
      expect(tool.success).toBe(false);
      expect(() => agentOption(id, "token issue")).toThrow(UsageError);
      if (id !== "")
        expect(tool.error?.issues[0]?.message).toBe(
          "agent id: letters, digits and . _ : - only, starting with a letter or digit, at most 200 characters",
        );
    },
  );
});
