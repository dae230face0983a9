// Build step after tsc and gen-plan-artifacts.js: the compiler commands (check, compile, fmt, plan) as one
// CommonJS file, dist/vpae-compiler.cjs, which bin/vpae.js runs with a V8 code cache (runtime/cli/bundle.cts
// says why and how). Then one `vpae check` of the experiments writes that cache.
//
// dist/runtime/cli/main.js and every module it imports go into the bundle, chevrotain's single-file build
// included, with these exceptions:
// - node's built-in modules and `yaml` stay outside (required when used);
// - params-file.js (which needs yaml) is a chunk of its own, vpae-compiler-params-file.cjs, required on
//   first use, so that yaml loads only for --params;
// - every command but the compiler commands (runtime/cli/compiler-commands.json) stays an ES module in dist/.
//   bin/vpae.js never sends them to the bundle; should main.js load one anyway, it imports it from dist/.
// A bundled module sees the import.meta.url it has in dist/, so paths relative to it still work.
// Usage: node scripts/bundle-cli.js [BUILD_DIR] (default dist; another folder gets no first run, as
// bin/vpae.js runs dist/ only).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { rollup } from "rollup";
import { vpaeFiles } from "./vpae-files.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.resolve(root, process.argv[2] ?? "dist");
// Only the compiler commands (runtime/cli/compiler-commands.json, which bin/vpae.js reads too) are
// bundled; every other command (run, eval, watch, ...: tfjs, Ink) stays an ES module in dist/.
const COMPILER_COMMANDS = new Set(JSON.parse(readFileSync(path.join(root, "runtime", "cli", "compiler-commands.json"), "utf8")));
const commandsDir = path.join(dist, "runtime", "cli", "commands");
const RUNTIME_COMMANDS = {
  has: (id) => path.dirname(id) === commandsDir && id.endsWith(".js") && !COMPILER_COMMANDS.has(path.basename(id, ".js")),
};
// grammar/chevrotain.ts loads chevrotain's single-file build by URL (the package does not export it by name).
const CHEVROTAIN_SHIM = path.join(dist, "grammar", "chevrotain.js");
const chevrotainBundle = fileURLToPath(new URL("../chevrotain.min.mjs", import.meta.resolve("chevrotain")));

/** A file URL for a path relative to dist/, as code that runs in the bundle (whose __dirname is dist/). */
const urlInDist = (relative) => `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${relative})).href`;

const inputs = new Set();
const bundle = await rollup({
  input: path.join(dist, "runtime", "cli", "main.js"),
  // The entry file may export more than main.js does (what the params-file chunk needs from it).
  preserveEntrySignatures: "allow-extension",
  external: (id) => id.startsWith("node:") || builtinModules.includes(id) || id === "yaml" || RUNTIME_COMMANDS.has(id),
  onwarn(warning) {
    // Any warning (an import cycle, a missing export) is a build error: the bundle must be clean.
    throw new Error(`bundle-cli: ${warning.code}: ${warning.message}`);
  },
  plugins: [
    {
      name: "vpae-cli",
      load(id) {
        if (id.startsWith(dist)) inputs.add(path.relative(dist, id));
        if (id === CHEVROTAIN_SHIM) return `export { createToken, Lexer, CstParser, EOF } from ${JSON.stringify(chevrotainBundle)};`;
        return null;
      },
      resolveImportMeta(property, { moduleId }) {
        if (property === "url") return urlInDist(JSON.stringify(path.relative(dist, moduleId)));
        throw new Error(`bundle-cli: import.meta.${property} in ${moduleId} has no bundled equivalent`);
      },
      // A script compiled by node:vm has no import() of its own: the ES modules outside the bundle are
      // imported by the `importModule` that runtime/cli/bundle.cts passes in beside `require`. (Every
      // other dynamic import becomes a require(): dynamicImportInCjs below.)
      renderDynamicImport({ targetModuleId }) {
        if (targetModuleId && RUNTIME_COMMANDS.has(targetModuleId)) {
          // importModule(<url of the file>), around the path that `paths` below makes relative to dist/
          return { left: 'importModule(require("node:url").pathToFileURL(require("node:path").join(__dirname, ', right: ")).href)" };
        }
        return null;
      },
    },
  ],
});
const { output } = await bundle.write({
  dir: dist,
  format: "cjs",
  entryFileNames: "vpae-compiler.cjs",
  chunkFileNames: "vpae-compiler-[name].cjs",
  manualChunks: (id) => (id.endsWith(`${path.sep}params-file.js`) ? "params-file" : "main"),
  dynamicImportInCjs: false,
  paths: (id) => (RUNTIME_COMMANDS.has(id) ? `./${path.relative(dist, id)}` : id), // relative to dist/
});
await bundle.close();
for (const chunk of output) {
  if (chunk.type !== "chunk") continue;
  if (/\bimport\(/.test(chunk.code.replace(/\bimportModule\(/g, ""))) throw new Error(`bundle-cli: ${chunk.fileName} has an import(), which a node:vm script cannot run`);
  // node reads an ASCII file into a string several milliseconds faster (and hashes it faster).
  const at = chunk.code.search(/[^\x00-\x7f]/);
  if (at >= 0) console.warn(`bundle-cli: ${chunk.fileName} has a non-ASCII character (${JSON.stringify(chunk.code.slice(Math.max(0, at - 30), at + 10))}): write it as a \\u escape`);
}
// The modules the bundle was made from: bin/vpae.js ignores a bundle older than any of them.
writeFileSync(path.join(dist, "vpae-compiler.json"), JSON.stringify({ inputs: [...inputs].sort() }, null, 2) + "\n");

// The first run writes the code cache: check every experiment (problems in them do not matter here).
const experiments = vpaeFiles(path.join(root, "experiments"));
if (dist === path.join(root, "dist")) spawnSync(process.execPath, [path.join(root, "bin", "vpae.js"), "check", ...experiments], { cwd: root, stdio: "ignore" });
