// Build step after tsc: writes docs/plan.schema.json and the standalone ajv validator, both from the
// one TypeBox definition in compiler/plan/schema.ts.
import { writeFileSync, mkdirSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { planJsonSchema } from "../dist/compiler/plan/schema.js";

const schema = planJsonSchema();
mkdirSync(new URL("../docs/", import.meta.url), { recursive: true });
writeFileSync(new URL("../docs/plan.schema.json", import.meta.url), JSON.stringify(schema, null, 2) + "\n");
const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: false } });
const validate = ajv.compile(schema);
const code = standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate);
writeFileSync(new URL("../dist/compiler/plan/validate-plan.generated.cjs", import.meta.url), code);
