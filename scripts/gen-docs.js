// Writes the generated documentation: docs/plan.schema.json (from compiler/plan/schema.ts).
// Run after `npm run build`: `npm run gen:docs`. test/docs checks that the committed files are current.
import { writeFileSync } from "node:fs";
import { planJsonSchema } from "../dist/compiler/plan/schema.js";

writeFileSync(new URL("../docs/plan.schema.json", import.meta.url), JSON.stringify(planJsonSchema(), null, 2) + "\n");
