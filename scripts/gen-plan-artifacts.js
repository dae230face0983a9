// Build step after tsc: the plan validators, generated from the one TypeBox definition in
// compiler/plan/schema.ts, beside compiler/plan/validate.js in the build folder:
//   is-plan.generated.js          the compact yes/no validator (scripts/compact-validator.js), used for every plan;
//   validate-plan.generated.cjs   ajv's standalone validator with every error, loaded only for a plan that fails.
// Usage: node scripts/gen-plan-artifacts.js [BUILD_DIR] (default dist; scripts/build-private.sh passes its own folder).
import { writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { compactValidatorCode } from "./compact-validator.js";
const build = new URL(`../${process.argv[2] ?? "dist"}/`, import.meta.url);
const { planJsonSchema } = await import(new URL("compiler/plan/schema.js", build).href);
const schema = planJsonSchema();

writeFileSync(new URL("compiler/plan/is-plan.generated.js", build), compactValidatorCode(schema));

// inlineRefs: false keeps each $defs entry one function (the file is a third of the inlined size).
// CommonJS, so that validate.ts can load it synchronously (createRequire) when it needs the errors.
const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: false } });
const validate = ajv.compile(schema);
const generate = standaloneCode.default ?? standaloneCode;
writeFileSync(new URL("compiler/plan/validate-plan.generated.cjs", build), generate(ajv, validate));
