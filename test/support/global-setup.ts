// Once per test run: builds dist/ so e2e tests drive the real `agov` binary, and gives the run a
// temp folder of its own (TMPDIR), removed when the run ends, so no test leaves files behind.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  // Each project runs the global setup; the first one does the work for the run.
  if (process.env.AGOV_TEST_RUN_DIR) return () => {};
  const root = join(import.meta.dirname, "..", "..");
  try {
    execFileSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
    );
  } catch {
    // Type errors are reported by `npm run check`; the emitted JavaScript is still usable here.
  }
  if (!existsSync(join(root, "dist/src/cli/main.js")))
    throw new Error("build failed: dist/src/cli/main.js is missing");
  // Workers and the processes tests start inherit it; os.tmpdir() reads it on every call.
  const dir = mkdtempSync(join(tmpdir(), "agov-test-run-"));
  process.env.TMPDIR = dir;
  process.env.AGOV_TEST_RUN_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
