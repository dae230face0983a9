#!/usr/bin/env bash
# Builds into a private folder (.build-NAME, git-ignored) so that several people (or agents) can build
# and run tests at once without overwriting each other's dist/. Usage:
#   scripts/build-private.sh NAME && node scripts/run-tests.js --root .build-NAME [filter]
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/build-private.sh NAME}"
out=".build-$name"
npx tsc -p tsconfig.json --outDir "$out"
node scripts/gen-plan-artifacts.js "$out"
