#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/ (built by `npm ci` through `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";

// The compiler commands are short-lived: V8's optimising compiler costs them more start-up time than it
// saves (measured: about 20 ms of a cold `vpae check`). Long-running commands keep it.
if (["check", "compile", "fmt", "plan"].includes(process.argv[2] ?? "")) setFlagsFromString("--no-opt");

// `vpae ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const main = new URL("../dist/runtime/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("vpae is not built yet: run `npm run build` (npm ci does it for you).\n");
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
