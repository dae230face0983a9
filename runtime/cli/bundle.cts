// The compiler commands (check, compile, fmt, plan) from one bundled file, compiled with a V8 code cache.
//
// A cold `vpae check` spent a third of its time loading ~40 ES modules and compiling their functions as
// they first ran. The build bundles dist/runtime/cli/main.js and what it imports into dist/vpae-compiler.cjs
// (scripts/bundle-cli.js). This loader compiles that file with node:vm, handing V8 the code it cached on
// an earlier run (dist/vpae-compiler.cache), so that neither finding modules nor compiling functions costs
// much; V8 checks that the cache fits its version and flags. Without a usable cache the bundle compiles
// from source and saveCache() writes one after the command (the build's own first run already does).
// This file is CommonJS, like bin/vpae.js: the compiler commands never start node's ES module loader.
//
// The bundle is only a faster way to load the same code: when it is missing or older than any of the
// modules it was made from (after a bare `tsc`, say), loadBundledCli() returns undefined and bin/vpae.js
// imports dist/runtime/cli/main.js as usual.
import crypto = require("node:crypto");
import fs = require("node:fs");
import Module = require("node:module");
import path = require("node:path");
import vm = require("node:vm");

const dist = path.resolve(__dirname, "..", "..");
const BUNDLE = path.join(dist, "vpae-compiler.cjs");
const MANIFEST = path.join(dist, "vpae-compiler.json");
const CACHE = path.join(dist, "vpae-compiler.cache");

export interface BundledCli {
  main: (argv: string[]) => Promise<number>;
  /** Writes the code cache if this run had none it could use; never fails. */
  saveCache: () => void;
}

export function loadBundledCli(): BundledCli | undefined {
  let source: string;
  try {
    const built = fs.statSync(BUNDLE).mtimeMs;
    const { inputs } = JSON.parse(fs.readFileSync(MANIFEST, "utf8")) as { inputs: string[] };
    if (inputs.some((input) => fs.statSync(path.join(dist, input)).mtimeMs > built)) return undefined;
    source = fs.readFileSync(BUNDLE, "utf8");
  } catch {
    return undefined;
  }
  // V8 checks a cache against the length of the source, not its text: the cache file starts with a hash
  // of the bundle it was made for.
  const key = Buffer.from(crypto.createHash("sha256").update(source).digest("hex") + "\n");
  let cachedData: Buffer | undefined;
  try {
    const cache = fs.readFileSync(CACHE);
    if (cache.subarray(0, key.length).equals(key)) cachedData = cache.subarray(key.length);
  } catch {
    cachedData = undefined;
  }
  // The CommonJS wrapper, plus `importModule` for the ES modules outside the bundle (see bundle-cli.js):
  // a vm script has no import() of its own.
  const wrapper = `(function (exports, require, module, __filename, __dirname, importModule) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  // Registered as a loaded module, so that the bundle's chunks share it (require("./vpae-compiler.cjs")).
  const module = new Module(BUNDLE);
  module.filename = BUNDLE;
  const require = Module.createRequire(BUNDLE);
  require.cache[BUNDLE] = module;
  const importModule = (specifier: string): Promise<unknown> => import(specifier);
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, BUNDLE, dist, importModule);
  module.loaded = true;
  const main = (module.exports as { main?: BundledCli["main"] }).main;
  if (typeof main !== "function") return undefined;
  return {
    main,
    saveCache() {
      if (!fresh) return;
      try {
        const tmp = `${CACHE}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
        fs.renameSync(tmp, CACHE);
      } catch {
        // a read-only install: every run compiles from source, as without the cache
      }
    },
  };
}
