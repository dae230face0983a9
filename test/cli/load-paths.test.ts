// The compiler commands load two ways (bin/vpae.js): from the bundle with its V8 code cache (the fast
// start) or as plain ES modules. Both must behave the same: same output, same exit code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli, vpaeFiles, fromRoot } from "../helpers.js";

const COMMANDS: string[][] = [
  ["check", ...vpaeFiles(fromRoot("experiments")).map((f) => f.slice(fromRoot().length + 1))],
  ["check", "--json", "experiments/vpae.vpae", "experiments/ablations.vpae"],
  ["compile", "experiments/quickstart.vpae"],
  ["compile", "experiments/tuning.vpae", "--experiment", "vpae", "--set", "seed=3"],
  ["plan", "experiments/paper/vpae-wan14b.vpae"],
  ["fmt", "--check", "experiments/quickstart.vpae"],
  ["check", "experiments/no-such-file.vpae"],
  ["compile", "experiments/quickstart.vpae", "--set", "nosuch.setting=1"],
];

for (const args of COMMANDS) {
  test(`vpae ${args.slice(0, 3).join(" ")}${args.length > 3 ? " ..." : ""}: the bundle and plain ES modules agree`, () => {
    const bundled = runCli(args, { env: { VPAE_LOAD: "bundle" } });
    const esm = runCli(args, { env: { VPAE_LOAD: "esm" } });
    assert.notEqual(bundled.status, 3, bundled.stderr);
    assert.equal(bundled.status, esm.status);
    assert.equal(bundled.stdout, esm.stdout);
    assert.equal(bundled.stderr, esm.stderr);
  });
}
