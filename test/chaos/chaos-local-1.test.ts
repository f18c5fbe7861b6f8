// Chaos without Redis: the server and an agent killed mid-run.
import { describe } from "vitest";
import { chaosRun, everyInvariant } from "./run.js";

const NAMES = ["server-kill", "agent-kill"];
describe("agov chaos --quick", () => everyInvariant(chaosRun(NAMES), NAMES));
