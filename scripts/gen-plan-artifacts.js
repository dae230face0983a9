// Build step after tsc: the standalone ajv validator for plans (<build>/compiler/plan/validate-plan.generated.js),
// generated from the one TypeBox definition in compiler/plan/schema.ts. Usage: node scripts/gen-plan-artifacts.js [BUILD_DIR]
// (default dist; scripts/build-private.sh passes its own folder).
import { writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
const build = new URL(`../${process.argv[2] ?? "dist"}/`, import.meta.url);
const { planJsonSchema } = await import(new URL("compiler/plan/schema.js", build).href);

// inlineRefs: false keeps each $defs entry one function (the file is a third of the inlined size).
const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: true } });
const validate = ajv.compile(planJsonSchema());
const generate = standaloneCode.default ?? standaloneCode;
// The ESM output still calls require() for ajv's small runtime helpers; give it one. (Loading a CommonJS
// file from ESM makes node scan all of it for exports, which cost ~70 ms at every start.)
const code = `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n${generate(ajv, validate)}`;
writeFileSync(new URL("compiler/plan/validate-plan.generated.js", build), code);
