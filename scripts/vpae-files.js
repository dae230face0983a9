// The .vpae files under a folder, for the build and benchmark scripts (the tests have their own copy in
// test/helpers.ts: they run from dist/, where this file is not).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every .vpae file under dir (absolute paths), depth first, names sorted; none when dir is missing. */
export function vpaeFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...vpaeFiles(p));
    else if (name.endsWith(".vpae")) out.push(p);
  }
  return out;
}
