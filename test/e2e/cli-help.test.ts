// Help and version as a newcomer asks for them, with the real binary.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agov, issueToken, ROOT, stdioClient, tempHome } from "../support/agov.js";

describe("agov help", () => {
  it("prints the version of package.json, which the MCP server announces too", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const r = await agov([flag], { AGOV_HOME: tempHome() });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
    const home = tempHome();
    const c = await stdioClient(home, await issueToken(home, "alpha", 0));
    try {
      expect(c.client.getServerVersion()).toEqual({ name: "agov", version });
    } finally {
      await c.close();
    }
  });
});
