// Chaos without Redis: the model endpoint failing, and a pipeline runner killed mid-stage.
import { describe } from "vitest";
import { chaosRun, everyInvariant } from "./run.js";

const NAMES = ["model-faults", "pipeline-kill"];
describe("agov chaos --quick", () => everyInvariant(chaosRun(NAMES), NAMES));
