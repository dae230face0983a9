// vpae fmt through the real CLI in a child process: printing, --check, --write, syntax errors, usage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers.js";

const MESSY = `// tiny experiment
experiment tiny { world { frames = 4  size = 8 }
  teacher { init = checkpoint("teacher.safetensors")   arch { width = 32  depth = 2  heads = 2 } }
  student { init = teacher } // copies the teacher
  phase distill { steps = 10
    optimizer student { lr = 1e-4 }
    loss c_sds { } } }
`;

const CANONICAL = `// tiny experiment
experiment tiny {
  world {
    frames = 4
    size = 8
  }
  teacher {
    init = checkpoint("teacher.safetensors")
    arch {
      width = 32
      depth = 2
      heads = 2
    }
  }
  student {
    init = teacher
  } // copies the teacher
  phase distill {
    steps = 10
    optimizer student {
      lr = 1e-4
    }
    loss c_sds {}
  }
}
`;

const BROKEN = `experiment tiny {
  world { frames = 4 }
  phase distill { steps = = 10 }
}
`;


test("fmt prints the canonical text of one file and leaves the file alone", () => {
  const dir = tempDir({ "m.vpae": MESSY });
  const r = runCli(["fmt", join(dir, "m.vpae")]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, CANONICAL);
  assert.equal(r.stderr, "");
  assert.equal(readFileSync(join(dir, "m.vpae"), "utf8"), MESSY);
});

test("fmt --check lists files that are not canonical and exits 1; 0 when all are", () => {
  const dir = tempDir({ "m.vpae": MESSY, "c.vpae": CANONICAL });
  const bad = runCli(["fmt", "--check", join(dir, "m.vpae"), join(dir, "c.vpae")]);
  assert.equal(bad.status, 1, bad.stderr);
  assert.equal(bad.stdout, `${join(dir, "m.vpae")}\n`);
  assert.match(bad.stderr, /1 file of 2 not in canonical form/);
  assert.equal(readFileSync(join(dir, "m.vpae"), "utf8"), MESSY, "--check must not write");

  const good = runCli(["fmt", "--check", join(dir, "c.vpae")]);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.stdout, "");
});

test("fmt --write rewrites non-canonical files in place, lists them, and leaves no temporary files", () => {
  const dir = tempDir({ "m.vpae": MESSY, "c.vpae": CANONICAL });
  const before = statSync(join(dir, "c.vpae")).mtimeMs;
  const r = runCli(["fmt", "--write", join(dir, "m.vpae"), join(dir, "c.vpae")]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${join(dir, "m.vpae")}\n`);
  assert.equal(readFileSync(join(dir, "m.vpae"), "utf8"), CANONICAL);
  assert.equal(readFileSync(join(dir, "c.vpae"), "utf8"), CANONICAL);
  assert.equal(statSync(join(dir, "c.vpae")).mtimeMs, before, "a canonical file is not rewritten");
  assert.deepEqual(readdirSync(dir).sort(), ["c.vpae", "m.vpae"]);

  const again = runCli(["fmt", "--check", join(dir, "m.vpae")]);
  assert.equal(again.status, 0, again.stderr);
});

test("a file with syntax errors is reported with file:line:col, exit 1, and never touched", () => {
  const dir = tempDir({ "b.vpae": BROKEN, "m.vpae": MESSY });
  const file = join(dir, "b.vpae");
  for (const args of [["fmt", file], ["fmt", "--write", file, join(dir, "m.vpae")], ["fmt", "--check", file]]) {
    const r = runCli(args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`${file}:3:27: error[VPAE1002]`), r.stderr);
    assert.match(r.stderr, /steps = = 10/, "a code frame like vpae check prints");
    assert.equal(readFileSync(file, "utf8"), BROKEN);
  }
  // With --write, the good file next to the broken one is still formatted.
  assert.equal(readFileSync(join(dir, "m.vpae"), "utf8"), CANONICAL);
  // The same rendering as vpae check.
  const check = runCli(["check", file]);
  const fmt = runCli(["fmt", file]);
  assert.equal(fmt.stderr, check.stderr);
});

test("a missing file is a diagnostic (exit 1), not a crash", () => {
  const r = runCli(["fmt", join(tempDir({}), "does-not-exist.vpae")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[VPAE5001\]: cannot read/);
});

test("usage errors exit 2", () => {
  const dir = tempDir({ "m.vpae": MESSY, "c.vpae": CANONICAL });
  for (const args of [["fmt"], ["fmt", "--frobnicate", join(dir, "m.vpae")], ["fmt", join(dir, "m.vpae"), join(dir, "c.vpae")], ["fmt", "--check", "--write", join(dir, "m.vpae")]]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^vpae fmt: .*\nusage: vpae fmt/);
    assert.equal(r.stdout, "");
  }
  assert.equal(readFileSync(join(dir, "m.vpae"), "utf8"), MESSY);
});

test("fmt --help describes the options", () => {
  const r = runCli(["fmt", "--help"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--check/);
  assert.match(r.stdout, /--write/);
});
