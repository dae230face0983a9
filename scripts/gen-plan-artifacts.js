// Build step after tsc: the standalone ajv validator for plans (dist/compiler/plan/validate-plan.generated.cjs),
// generated from the one TypeBox definition in compiler/plan/schema.ts.
import { writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { planJsonSchema } from "../dist/compiler/plan/schema.js";

// inlineRefs: false keeps each $defs entry one function (the file is a third of the inlined size).
const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: false } });
const validate = ajv.compile(planJsonSchema());
const generate = standaloneCode.default ?? standaloneCode;
writeFileSync(new URL("../dist/compiler/plan/validate-plan.generated.cjs", import.meta.url), generate(ajv, validate));
