// Builds dist/ once before the suites run, so e2e tests drive the real `agov` binary.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export default function setup(): void {
  const root = join(import.meta.dirname, "..", "..");
  try {
    execFileSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: root,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  } catch {
    // Type errors are reported by `npm run check`; the emitted JavaScript is still usable here.
  }
  if (!existsSync(join(root, "dist/src/cli/main.js")))
    throw new Error("build failed: dist/src/cli/main.js is missing");
}
