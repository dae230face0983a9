#!/usr/bin/env bash
# Builds into a private folder (.build-NAME, git-ignored) so that several people (or agents) can build
# and run tests at once without overwriting each other's dist/. Usage:
#   scripts/build-private.sh NAME && node scripts/run-tests.js --root .build-NAME [filter]
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/build-private.sh NAME}"
out=".build-$name"
npx tsc -p tsconfig.json --outDir "$out"
mkdir -p "$out/compiler/plan"
node --input-type=module -e "
import { writeFileSync } from 'node:fs';
const { Ajv } = await import('ajv');
const standalone = (await import('ajv/dist/standalone/index.js')).default;
const { planJsonSchema } = await import('./$out/compiler/plan/schema.js');
const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: true } });
const v = ajv.compile(planJsonSchema());
const gen = standalone.default ?? standalone;
writeFileSync('$out/compiler/plan/validate-plan.generated.js', 'import { createRequire } from \"node:module\";\nconst require = createRequire(import.meta.url);\n' + gen(ajv, v));
"
