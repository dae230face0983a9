#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/ (built by `npm ci` through `prepare`).
// CommonJS (bin/package.json): the compiler commands run from one bundled file without ever starting
// node's ES module loader (dist/runtime/cli/bundle.cjs says how); the others import dist/runtime/cli/main.js.
"use strict";
const { existsSync } = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { setFlagsFromString } = require("node:v8");

// The compiler commands are short-lived: V8's optimising compiler costs them more start-up time than it
// saves (measured: about 20 ms of a cold `vpae check`). Long-running commands keep it. (V8 only takes a
// code cache made under the same flags: the bundle's cache is made and used under this one.)
const compilerCommand = require("../runtime/cli/compiler-commands.json").includes(process.argv[2] ?? "");
if (compilerCommand) setFlagsFromString("--no-opt");

// `vpae ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const dist = path.join(__dirname, "..", "dist");
const main = path.join(dist, "runtime", "cli", "main.js");
if (!existsSync(main)) {
  process.stderr.write("vpae is not built yet: run `npm run build` (npm ci does it for you).\n");
  process.exit(2);
}

// The loader of the bundle; undefined when there is no up-to-date bundle: then the compiler commands
// load like the others.
function bundledCli() {
  const loader = path.join(dist, "runtime", "cli", "bundle.cjs");
  return existsSync(loader) ? require(loader).loadBundledCli() : undefined;
}

// VPAE_LOAD=esm skips the bundle and VPAE_LOAD=bundle insists on it (the tests run the compiler
// commands both ways and compare: test/cli/load-paths.test.ts).
const load = process.env.VPAE_LOAD;

(async () => {
  const bundled = compilerCommand && load !== "esm" ? bundledCli() : undefined;
  if (compilerCommand && load === "bundle" && !bundled) {
    process.stderr.write("vpae: VPAE_LOAD=bundle, but dist/vpae-compiler.cjs is missing or older than its modules: run `npm run build`.\n");
    process.exit(3);
  }
  const { main: run } = bundled ?? (await import(pathToFileURL(main).href));
  process.exitCode = await run(process.argv.slice(2));
  bundled?.saveCache();
})();
