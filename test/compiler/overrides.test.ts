// --set and --params: overrides of parameters and setting paths, and how their mistakes are reported
// (in the `--set[N]` text or at the YAML file's line:col, never as a stack trace).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { CompileResult } from "../../compiler/program.js";
import { parseSetOverride, type Override } from "../../compiler/build.js";
import { readParamsFile } from "../../compiler/params-file.js";
import { DiagnosticBag, type Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { compileText, errors, runCli } from "../helpers.js";

const SOURCE = `param lr = 1e-4
param steps: int = 10
param loss_kind = hinge

experiment tiny {
  world { frames = 4  size = 8 }
  teacher {
    init = checkpoint("teacher.safetensors")
    arch { width = 32  depth = 4  heads = 2 }
  }
  student { init = teacher }
  discriminator d {
    backbone = ema(student, 0.995)
    loss = loss_kind
    head = semantic(queries = 4)
  }
  phase distill {
    steps = steps
    optimizer student { lr = lr }
    optimizer d { lr = lr * 2 }
    loss gan_generator { }
    loss gan_discriminator { }
  }
}
`;

/** Parses `--set` texts like the CLI does; syntax problems land in `bag`. */
function sets(texts: string[], bag = new DiagnosticBag()): { overrides: Override[]; bag: DiagnosticBag } {
  const overrides: Override[] = [];
  texts.forEach((t, i) => {
    const o = parseSetOverride(t, i + 1, bag, new Map());
    if (o) overrides.push(o);
  });
  return { overrides, bag };
}

function compileWith(overrides: Override[]): CompileResult {
  return compileText(SOURCE, {}, { overrides });
}

function at(d: Diagnostic): string {
  return `${d.code} ${d.span?.file}:${d.span?.line}:${d.span?.col}`;
}

test("the source compiles without overrides (the baseline the other tests change)", () => {
  const r = compileWith([]);
  assert.deepEqual(errors(r), []);
  const plan = r.plans[0]!.plan;
  assert.equal(plan.phases[0]!.steps, 10);
  assert.equal(plan.phases[0]!.optimizers[0]!.lr.value, 1e-4);
});

test("--set of a parameter changes every value computed from it", () => {
  const { overrides, bag } = sets(["lr=3e-4"]);
  assert.deepEqual(bag.items, []);
  const r = compileWith(overrides);
  assert.deepEqual(errors(r), []);
  const [student, d] = r.plans[0]!.plan.phases[0]!.optimizers;
  assert.equal(student!.lr.value, 3e-4);
  assert.equal(d!.lr.value, 6e-4);
});

test("--set of dotted setting paths: a labelled block, a nested block, a call argument", () => {
  const { overrides } = sets(["phase.distill.steps=20", "teacher.arch.width=64", "discriminator.d.head.queries=8", "seed=5"]);
  const r = compileWith(overrides);
  assert.deepEqual(errors(r), []);
  const plan = r.plans[0]!.plan;
  assert.equal(plan.phases[0]!.steps, 20);
  assert.equal(plan.teacher!.arch.width, 64);
  assert.equal(plan.seed, 5);
  const head = plan.discriminators[0]!.head;
  assert.equal(head.kind === "semantic" ? head.queries : undefined, 8);
});

test("--set of an unknown path or name is VPAE2022 with a did-you-mean hint", () => {
  const { overrides } = sets(["phase.distil.steps=20", "lrr=1"]);
  const r = compileWith(overrides);
  const errs = errors(r);
  assert.deepEqual(errs.map(at), ["VPAE2022 --set[1]:1:1", "VPAE2022 --set[2]:1:1"]);
  assert.equal(errs[0]!.hint, "did you mean 'phase.distill.steps'?");
  assert.equal(errs[1]!.hint, "did you mean 'lr'?");
});

test("--set into a plain number's arguments and onto a block are refused", () => {
  const { overrides } = sets(["teacher.arch.width.x=3", "teacher.arch=3"]);
  const codes = errors(compileWith(overrides)).map(at).sort();
  assert.deepEqual(codes, ["VPAE2018 --set[2]:1:1", "VPAE2022 --set[1]:1:1"]);
});

test("--set syntax errors: no '=', no path, a bad path, no value (VPAE5002)", () => {
  for (const text of ["lr", "=3", "1lr=3", "teacher..arch=3", "lr="]) {
    const { overrides, bag } = sets([text]);
    assert.deepEqual(overrides, [], text);
    assert.deepEqual(bag.items.map(at), ["VPAE5002 --set[1]:1:1"], text);
    assert.ok(bag.items[0]!.message.includes(JSON.stringify(text)), bag.items[0]!.message);
  }
});

test("a --set value that is not an expression is a syntax error at its column in the --set text", () => {
  const cases: [string, string][] = [
    ["lr=1e-4)", "VPAE1009 --set[1]:1:8"],
    ["lr=1 2", "VPAE1009 --set[1]:1:6"],
    ['lr="abc', "VPAE1003 --set[1]:1:4"],
    ["lr=[1,", "VPAE1005 --set[1]:1:4"],
    ["lr=$lr", "VPAE1001 --set[1]:1:4"],
  ];
  for (const [text, want] of cases) {
    const { overrides, bag } = sets([text]);
    assert.deepEqual(overrides, [], text);
    assert.deepEqual(bag.items.map(at), [want], text);
  }
});

test("a --set value of the wrong type for a typed parameter is reported at the --set, with a note", () => {
  const { overrides } = sets(["steps=2.5"]);
  const errs = errors(compileWith(overrides));
  assert.deepEqual(errs.map(at), ["VPAE2012 --set[1]:1:1"]);
  assert.match(errs[0]!.message, /steps is declared int but its value is the number 2\.5/);
  assert.equal(errs[0]!.notes[0]?.span?.file, "main.vpae");
  assert.equal(errs[0]!.notes[0]?.span?.line, 2);
});

// ---- --params YAML ----

function yaml(text: string, file = "over.yaml"): { overrides: Override[]; bag: DiagnosticBag } {
  const bag = new DiagnosticBag();
  return { overrides: readParamsFile(file, text, bag), bag };
}

test("a YAML params file sets parameters, nested paths and dotted paths", () => {
  const { overrides, bag } = yaml("lr: 3e-4\nteacher:\n  arch:\n    width: 64\nphase.distill.steps: 25\nloss_kind: relativistic\n");
  assert.deepEqual(bag.items, []);
  const r = compileWith(overrides);
  assert.deepEqual(errors(r), []);
  const plan = r.plans[0]!.plan;
  assert.equal(plan.phases[0]!.optimizers[0]!.lr.value, 3e-4);
  assert.equal(plan.teacher!.arch.width, 64);
  assert.equal(plan.phases[0]!.steps, 25);
  assert.equal(plan.discriminators[0]!.loss, "relativistic");
});

test("bad YAML values are reported at the YAML file's line:col", () => {
  const { overrides, bag } = yaml("# overrides for the tiny run\nlr: 3e-4\nsteps: 2.5\nloss_kind: hingee\nphase.distil.steps: 3\n");
  assert.deepEqual(bag.items, []);
  const errs = errors(compileWith(overrides));
  assert.deepEqual(errs.map(at).sort(), ["VPAE2012 over.yaml:3:8", "VPAE2019 over.yaml:4:12", "VPAE2022 over.yaml:5:21"]);
  const choice = errs.find((d) => d.code === "VPAE2019")!;
  assert.equal(choice.hint, "did you mean 'hinge'?");
  const path = errs.find((d) => d.code === "VPAE2022")!;
  assert.equal(path.hint, "did you mean 'phase.distill.steps'?");
});

test("a YAML syntax error is VPAE3005 with the position of the problem", () => {
  const { overrides, bag } = yaml("lr: 1e-4\nsteps: [1, 2\nloss_kind: hinge\n");
  assert.deepEqual(overrides, []);
  assert.equal(bag.items.length >= 1, true);
  const d = bag.items[0]!;
  assert.equal(d.code, "VPAE3005");
  assert.equal(d.message, "not valid YAML: the indentation does not fit the lines around it, or a [ or { is not closed");
  assert.equal(d.span?.file, "over.yaml");
  assert.ok(d.span!.line >= 2 && d.span!.line <= 3, `line ${d.span!.line}`);
  // the YAML library's own words (which name its API) never reach the user
  for (const text of ["a: 1\n---\nb: 2\n", "a: 1\na: 2\n", "a:\n\t- 1\n", 'a: "x\\q"\n', "a: &x 1\nb: *y\n"]) {
    const r = yaml(text);
    assert.ok(r.bag.items.length > 0, text);
    for (const item of r.bag.items) assert.doesNotMatch(item.message, /YAML\.|parseAllDocuments|Flow sequence|Implicit|must be sufficiently/, `${JSON.stringify(text)}: ${item.message}`);
  }
  assert.equal(yaml("a: 1\n---\nb: 2\n").bag.items[0]!.message, "not valid YAML: the file holds more than one YAML document (a `---` line); --params takes one mapping");
});

test("a YAML file that is not a mapping, or has a key that is no name, is VPAE3005", () => {
  assert.deepEqual(yaml("- 1\n- 2\n").bag.items.map(at), ["VPAE3005 over.yaml:1:1"]);
  const keys = yaml('lr: 1\n"bad key": 2\n');
  assert.deepEqual(keys.bag.items.map(at), ["VPAE3005 over.yaml:2:1"]);
  assert.equal(keys.overrides.length, 1);
});

// ---- through the command line ----

function withTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), "vpae-overrides-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("CLI: --set wins over --params, and both reach the plan", () => {
  withTempDir((dir) => {
    writeFileSync(path.join(dir, "exp.vpae"), SOURCE);
    writeFileSync(path.join(dir, "over.yaml"), "lr: 3e-4\nsteps: 30\n");
    const r = runCli(["compile", "exp.vpae", "--params", "over.yaml", "--set", "lr=5e-4"], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { phases: { steps: number; optimizers: { lr: { value: number } }[] }[] };
    assert.equal(plan.phases[0]!.steps, 30);
    assert.equal(plan.phases[0]!.optimizers[0]!.lr.value, 5e-4);
  });
});

test("CLI: a bad YAML value is printed as over.yaml:line:col with a code frame; a missing params file is VPAE5001", () => {
  withTempDir((dir) => {
    writeFileSync(path.join(dir, "exp.vpae"), SOURCE);
    writeFileSync(path.join(dir, "over.yaml"), "lr: 3e-4\nsteps: 2.5\n");
    const r = runCli(["check", "exp.vpae", "--params", "over.yaml"], { cwd: dir });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^over\.yaml:2:8: error\[VPAE2012\]: parameter steps is declared int/m);
    assert.match(r.stderr, /2 │ steps: 2\.5/);
    const missing = runCli(["check", "exp.vpae", "--params", "nope.yaml"], { cwd: dir });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /error\[VPAE5001\]: cannot read 'nope\.yaml'/);
  });
});

test("CLI: a --set syntax error is shown in the --set text", () => {
  withTempDir((dir) => {
    writeFileSync(path.join(dir, "exp.vpae"), SOURCE);
    const r = runCli(["check", "exp.vpae", "--set", "lr=1e-4)"], { cwd: dir });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^--set\[1\]:1:8: error\[VPAE1009\]: unexpected '\)'/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});

test("an override that breaks only some sweep members names the first one it breaks", () => {
  const text = `${SOURCE}
sweep s over tiny {
  axis variant {
    fine {}
    short { param steps = 1 }
  }
}
`;
  // steps - 5 is fine for steps = 10 and breaks the member that sets steps = 1
  const r = compileText(text.replace("steps = steps", "steps = steps - 5"));
  const e = errors(r);
  assert.equal(e.length, 1, JSON.stringify(e));
  assert.equal(e[0]!.code, "VPAE2023");
  assert.deepEqual(e[0]!.notes.map((n) => n.message), ["in sweep s, member 1 (variant=short)"]);
});
