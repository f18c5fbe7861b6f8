// Once per test run: bundles dist/ so e2e tests drive the real `agov` binary, and gives the run a
// temp folder of its own (TMPDIR), removed when the run ends, so no test leaves files behind.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  // Each project runs the global setup; the first one does the work for the run.
  if (process.env.AGOV_TEST_RUN_DIR) return () => {};
  const root = join(import.meta.dirname, "..", "..");
  // The bundle takes about a second; type errors are `npm run check`'s to report.
  execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs")], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!existsSync(join(root, "dist", "agov.js")))
    throw new Error("build failed: dist/agov.js is missing");
  // Workers and the processes tests start inherit it; os.tmpdir() reads it on every call.
  const dir = mkdtempSync(join(tmpdir(), "agov-test-run-"));
  process.env.TMPDIR = dir;
  process.env.AGOV_TEST_RUN_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
