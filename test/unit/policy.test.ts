import { describe, expect, it } from "vitest";
import {
  capabilitiesFor,
  grantsTool,
  PolicyParseError,
  parsePolicy,
} from "../../src/authority/policy.js";

const pol = (name: string, text: string) => parsePolicy(name, text);

describe("policy parser", () => {
  it("reads path blocks with comments", () => {
    const p = pol(
      "p",
      `# a comment
       path "secret/data/a" { capabilities = ["read", "list"] } // trailing
       /* block */ path "x/*" {
         capabilities = ["deny"]
       }`,
    );
    expect(p.rules).toEqual([
      { path: "secret/data/a", capabilities: ["read", "list"] },
      { path: "x/*", capabilities: ["deny"] },
    ]);
  });

  it("names the line of a malformed block", () => {
    expect(() => pol("bad", `path "a" { capabilities = ["read"] }\n\npath "b" {`)).toThrow(
      /bad: line 3/,
    );
    expect(() => pol("bad", `path "a" { capabilities = ["fly"] }`)).toThrow(PolicyParseError);
    expect(() => pol("bad", `path "a" { capabilities = ["fly"] }`)).toThrow(
      /unknown capability "fly"/,
    );
  });
});

describe("Vault path rules", () => {
  it("grants an exact path and nothing else", () => {
    const p = [pol("p", `path "governance/tools/whoami" { capabilities = ["read"] }`)];
    expect(capabilitiesFor(p, "governance/tools/whoami")).toEqual(["read"]);
    expect(capabilitiesFor(p, "governance/tools/whoami2")).toEqual(["deny"]);
    expect(capabilitiesFor(p, "governance/tools")).toEqual(["deny"]);
  });

  it("lets a deny on a specific path beat a * grant", () => {
    const p = [
      pol("a", `path "governance/tools/*" { capabilities = ["read"] }`),
      pol("b", `path "governance/tools/lock_acquire" { capabilities = ["deny"] }`),
    ];
    expect(capabilitiesFor(p, "governance/tools/lock_acquire")).toEqual(["deny"]);
    expect(capabilitiesFor(p, "governance/tools/lock_release")).toEqual(["read"]);
  });

  it("lets a deny win over a grant on the same pattern, across policies", () => {
    const p = [
      pol("a", `path "governance/tools/x" { capabilities = ["read", "update"] }`),
      pol("b", `path "governance/tools/x" { capabilities = ["deny"] }`),
    ];
    expect(capabilitiesFor(p, "governance/tools/x")).toEqual(["deny"]);
  });

  it("does not let a glob deny beat a more specific grant", () => {
    const p = [
      pol(
        "a",
        `path "governance/*" { capabilities = ["deny"] }\npath "governance/tools/x" { capabilities = ["read"] }`,
      ),
    ];
    expect(capabilitiesFor(p, "governance/tools/x")).toEqual(["read"]);
    expect(capabilitiesFor(p, "governance/tools/y")).toEqual(["deny"]);
  });

  it("matches + against exactly one segment", () => {
    const p = [pol("a", `path "secret/+/config" { capabilities = ["read"] }`)];
    expect(capabilitiesFor(p, "secret/app/config")).toEqual(["read"]);
    expect(capabilitiesFor(p, "secret/app/x/config")).toEqual(["deny"]);
    expect(capabilitiesFor(p, "secret/config")).toEqual(["deny"]);
    expect(capabilitiesFor(p, "secret//config")).toEqual(["deny"]);
  });

  it("combines + with a trailing glob", () => {
    const p = [pol("a", `path "secret/+/logs/*" { capabilities = ["list"] }`)];
    expect(capabilitiesFor(p, "secret/app/logs/2026/01")).toEqual(["list"]);
    expect(capabilitiesFor(p, "secret/app/other/x")).toEqual(["deny"]);
  });

  it("lets the longer glob prefix win", () => {
    const p = [
      pol(
        "a",
        `path "secret/*" { capabilities = ["read"] }\npath "secret/data/prod/*" { capabilities = ["deny"] }`,
      ),
    ];
    expect(capabilitiesFor(p, "secret/data/prod/db")).toEqual(["deny"]);
    expect(capabilitiesFor(p, "secret/data/dev/db")).toEqual(["read"]);
  });

  it("prefers an exact path over a glob of the same prefix", () => {
    const p = [
      pol(
        "a",
        `path "secret/a*" { capabilities = ["deny"] }\npath "secret/a" { capabilities = ["read"] }`,
      ),
    ];
    expect(capabilitiesFor(p, "secret/a")).toEqual(["read"]);
    expect(capabilitiesFor(p, "secret/ab")).toEqual(["deny"]);
  });

  it("prefers a later wildcard over an earlier one", () => {
    const p = [
      pol(
        "a",
        `path "secret/+/db" { capabilities = ["deny"] }\npath "secret/app/*" { capabilities = ["read"] }`,
      ),
    ];
    expect(capabilitiesFor(p, "secret/app/db")).toEqual(["read"]);
    expect(capabilitiesFor(p, "secret/web/db")).toEqual(["deny"]);
  });

  it("grants a tool only for read, update or root", () => {
    expect(grantsTool(["read"])).toBe(true);
    expect(grantsTool(["update"])).toBe(true);
    expect(grantsTool(["root"])).toBe(true);
    expect(grantsTool(["list"])).toBe(false);
    expect(grantsTool(["deny"])).toBe(false);
  });
});
