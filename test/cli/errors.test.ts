// Broken input through the real CLI: exit codes, the `file:line:col: error[CODE]` format with a code
// frame, the --json document, usage errors, missing files, and never a JavaScript stack trace.
//
// Exit codes (runtime/cli/errors.ts): 0 ok; 1 the input has problems (diagnostics, including a file
// that cannot be read: VPAE5001); 2 the command line itself is wrong (unknown command or option, a
// missing file argument) or vpae has a bug.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { runCli, MINIMAL } from "../helpers.js";
import { caseNames, readCase } from "../compiler/diagnostics/expectations.js";
import { D } from "../../compiler/diagnostics/catalog.js";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const CASES = "test/compiler/diagnostics/cases";

/** No JavaScript stack frames or Node internals in what the user sees. */
function assertNoStackTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at /m, output);
  assert.doesNotMatch(output, /node:internal/, output);
  assert.doesNotMatch(output, /\b(TypeError|ReferenceError|RangeError|SyntaxError)\b/, output);
}

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "vpae-errors-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

test("check of every diagnostics case: exit 1, each expected problem as file:line:col: severity[CODE] with a frame", () => {
  const names = caseNames();
  const r = runCli(["check", ...names.map((n) => `${CASES}/${n}`)]);
  assert.equal(r.status, 1);
  assertNoStackTrace(r.stderr);
  const headers = r.stderr.split("\n").filter((l) => /^\S+:\d+:\d+: (error|warning)\[VPAE\d{4}\]: \S/.test(l));
  let expectedCount = 0;
  for (const name of names) {
    for (const e of readCase(name).expected) {
      expectedCount++;
      const severity = Object.values(D).find((x) => x.code === e.code)?.severity ?? "error";
      const line = `${CASES}/${e.where}: ${severity}[${e.code}]: `;
      assert.ok(headers.some((h) => h.startsWith(line)), `missing in stderr: ${line}`);
    }
  }
  assert.equal(headers.length, expectedCount, "every printed diagnostic is one of the expected ones");
});

test("a broken file: the code frame shows the source line and a caret under the column", () => {
  const r = runCli(["check", `${CASES}/unknown-role.vpae`]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  const i = lines.findIndex((l) => l.startsWith(`${CASES}/unknown-role.vpae:13:5: error[VPAE2101]: unknown role 'studnet'`));
  assert.ok(i >= 0, r.stderr);
  assert.equal(lines[i + 2], "13 │     optimizer studnet { lr = 1e-4 }");
  assert.match(lines[i + 3]!, /^ {3}│ {5}\^~+$/);
  assert.equal(lines[i + 4], "  hint: did you mean 'student'?");
  assert.match(r.stderr, /^1 error, 0 warnings$/m);
  assert.doesNotMatch(r.stderr, /\x1b\[/, "no colour codes when NO_COLOR is set");
});

test("all problems of a file are printed at once, sorted by position", () => {
  const r = runCli(["check", `${CASES}/several-semantic-errors.vpae`]);
  assert.equal(r.status, 1);
  const positions = [...r.stderr.matchAll(/several-semantic-errors\.vpae:(\d+):(\d+): /g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
  assert.equal(positions.length, 6);
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  assert.match(r.stderr, /^6 errors, 0 warnings$/m);
});

test("compile of a broken file: exit 1, diagnostics on stderr, no plan on stdout", () => {
  const r = runCli(["compile", `${CASES}/syntax-unterminated-string.vpae`]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /syntax-unterminated-string\.vpae:6:23: error\[VPAE1003\]: unterminated string/);
  assertNoStackTrace(r.stderr);
});

test("--json: a document with valid:false and the diagnostics, nothing on stderr", () => {
  for (const command of ["check", "compile"]) {
    const r = runCli([command, `${CASES}/bad-ratio.vpae`, "--json"]);
    assert.equal(r.status, 1, command);
    assert.equal(r.stderr, "", command);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errorCount: number; diagnostics: { code: string; file: string; line: number; column: number; message: string }[] };
    assert.equal(doc.valid, false);
    assert.equal(doc.errorCount, 2);
    assert.ok(Array.isArray(doc.diagnostics));
    assert.deepEqual(
      doc.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}:${d.column}`),
      [`VPAE2106 ${CASES}/bad-ratio.vpae:16:15`, `VPAE2106 ${CASES}/bad-ratio.vpae:16:27`],
    );
    for (const d of doc.diagnostics) assert.ok(d.message.length > 0);
  }
});

test("--json on a valid file: valid:true and an empty diagnostics array", () => {
  const dir = tmp({ "ok.vpae": MINIMAL });
  const r = runCli(["check", path.join(dir, "ok.vpae"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { valid: boolean; diagnostics: unknown[] };
  assert.equal(doc.valid, true);
  assert.deepEqual(doc.diagnostics, []);
});

test("a file that does not exist: exit 1, VPAE5001 with the reason, no position", () => {
  const r = runCli(["check", "no/such/file.vpae"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error\[VPAE5001\]: cannot read 'no\/such\/file\.vpae'$/m);
  assert.match(r.stderr, /hint: no such file/);
  assertNoStackTrace(r.stderr);
  const json = runCli(["compile", "no/such/file.vpae", "--json"]);
  assert.equal(json.status, 1);
  const doc = JSON.parse(json.stdout) as { valid: boolean; diagnostics: { code: string; file: string | null; line: number | null }[] };
  assert.equal(doc.valid, false);
  assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.file, d.line]), [["VPAE5001", null, null]]);
});

test("a directory instead of a file: exit 1, VPAE5001 saying it is a directory", () => {
  const r = runCli(["check", "test"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[VPAE5001\]: cannot read 'test'/);
  assert.match(r.stderr, /hint: it is a directory/);
});

test("usage errors exit 2 with the usage line: unknown command, unknown option, missing file argument", () => {
  const cases: [string[], RegExp][] = [
    [["chek", "a.vpae"], /no such command 'chek' \(did you mean 'check'\?\)/],
    [["check", `${CASES}/bad-tap.vpae`, "--jsn"], /vpae check: unknown option --jsn\nusage: vpae check /],
    [["check"], /vpae check: check needs at least one \.vpae file\nusage: /],
    [["compile"], /vpae compile: compile takes exactly one \.vpae file\nusage: /],
    [["compile", "a.vpae", "b.vpae"], /compile takes exactly one \.vpae file/],
    [["check", "a.vpae", "--set"], /--set needs a value/],
    [["compile", `${CASES}/bad-tap.vpae`, "--format", "xml"], /--format must be json or yaml/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assertNoStackTrace(r.stderr);
  }
});

test("--set problems are diagnostics (exit 1), shown in the --set text", () => {
  const dir = tmp({ "ok.vpae": MINIMAL });
  const r = runCli(["check", path.join(dir, "ok.vpae"), "--set", "phase.distil.steps=3"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^--set\[1\]:1:1: error\[VPAE2022\]: cannot set phase\.distil\.steps/m);
  assert.match(r.stderr, /1 │ phase\.distil\.steps=3/);
  assert.match(r.stderr, /hint: did you mean 'phase\.distill\.steps'\?/);
});

test("imports read .vpae files inside the project only: other files are never opened, symbolic links are followed, --import-root widens", () => {
  const outside = tmp({ "shared.vpae": "template shared_base {\n  world { frames = 4  size = 8 }\n}\n", "secret.txt": "TOP SECRET LINE\n" });
  const proj = path.join(outside, "proj");
  mkdirSync(proj);
  writeFileSync(path.join(proj, "package.json"), "{}\n");
  mkdirSync(path.join(proj, "sub"));
  const body = (imp: string) => `import "${imp}"\n\nexperiment x extends shared_base {\n  teacher {\n    init = checkpoint("t.safetensors")\n    arch { width = 32  depth = 2  heads = 2 }\n  }\n  student { init = teacher }\n  phase p {\n    steps = 1\n    optimizer student { lr = 1e-4 }\n    loss c_sds { }\n  }\n}\n`;
  // not a .vpae file: refused without reading it
  writeFileSync(path.join(proj, "sub", "txt.vpae"), body("../../secret.txt"));
  let r = runCli(["check", path.join(proj, "sub", "txt.vpae")]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /txt\.vpae:1:8: error\[VPAE2025\]: import '\.\.\/\.\.\/secret\.txt' does not name a \.vpae file/);
  assert.doesNotMatch(r.stderr + r.stdout, /TOP SECRET/);
  // a .vpae file above the project folder (the nearest package.json), from a file one folder down
  writeFileSync(path.join(proj, "sub", "up.vpae"), body("../../shared.vpae"));
  r = runCli(["check", path.join(proj, "sub", "up.vpae")]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /up\.vpae:1:8: error\[VPAE2026\]: import '\.\.\/\.\.\/shared\.vpae' is outside the project folder '.*proj'/);
  assert.match(r.stderr, /hint: --import-root DIR allows another folder/);
  assertNoStackTrace(r.stderr);
  // a symbolic link inside the project that leads out is refused too
  symlinkSync(path.join(outside, "shared.vpae"), path.join(proj, "link.vpae"));
  writeFileSync(path.join(proj, "viaLink.vpae"), body("link.vpae"));
  r = runCli(["check", path.join(proj, "viaLink.vpae")]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error\[VPAE2026\]: import 'link\.vpae' is outside the project folder/);
  // widened explicitly: both compile
  for (const f of ["up.vpae", "viaLink.vpae"]) {
    const ok = runCli(["check", path.join(proj, f.startsWith("up") ? "sub" : "", f), "--import-root", outside]);
    assert.equal(ok.status, 0, ok.stderr);
  }
  // without a package.json or .git above it, the entry file's own folder is the project
  const loose = tmp({ "b.vpae": "template shared_base {\n  world { frames = 4  size = 8 }\n}\n" });
  mkdirSync(path.join(loose, "inner"));
  writeFileSync(path.join(loose, "inner", "a.vpae"), body("../b.vpae"));
  writeFileSync(path.join(loose, "a2.vpae"), body("b.vpae"));
  if (!existsSync(path.join(path.dirname(loose), "package.json")) && !existsSync(path.join(path.dirname(loose), ".git"))) {
    assert.match(runCli(["check", path.join(loose, "inner", "a.vpae")]).stderr, /error\[VPAE2026\]/);
    assert.equal(runCli(["check", path.join(loose, "a2.vpae")]).status, 0);
  }
});

test("deep nesting, long chains and huge names get a diagnostic of bounded size, never an internal error; the other files are still checked", () => {
  const ok = readFileSync(path.join(CASES, "..", "..", "..", "..", "experiments", "micro.vpae"), "utf8");
  const files: Record<string, string> = {
    "parens.vpae": `param x = ${"(".repeat(300)}1${")".repeat(300)}\n`,
    "lists.vpae": `param x = ${"[".repeat(150)}1${"]".repeat(150)}\n`,
    "blocks.vpae": `experiment e ${"{ a ".repeat(200)}${"}".repeat(200)}\n`,
    "nots.vpae": `param x = ${"not ".repeat(3000)}true\n`,
    "minus.vpae": `param x = ${"-".repeat(3000)}1\n`,
    "power.vpae": `param x = ${"2 ** ".repeat(3000)}1\n`,
    "sum.vpae": `param x = ${Array(5000).fill("1").join(" + ")}\nexperiment e { seed = x }\n`,
    "name.vpae": `experiment e { seed = ${"a".repeat(2_000_000)} }\n`,
  };
  const dir = tmp(files);
  writeFileSync(path.join(dir, "micro.vpae"), ok.replace(/import "lib\/toy.vpae"/, `import "${path.resolve("experiments/lib/toy.vpae")}"`));
  const names = [...Object.keys(files), "micro.vpae"];
  const r = runCli(["check", ...names.map((n) => path.join(dir, n)), "--import-root", path.resolve("experiments")]);
  assert.equal(r.status, 1, r.stderr.slice(0, 2000));
  assertNoStackTrace(r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
  for (const n of ["parens", "lists", "blocks", "nots", "minus", "power"]) assert.match(r.stderr, new RegExp(`${n}\\.vpae:1:\\d+: error\\[VPAE1010\\]: nested more than 64 levels deep here`));
  assert.match(r.stderr, /sum\.vpae:1:11: error\[VPAE1011\]: expression of more than 1000 operations/);
  assert.match(r.stderr, /name\.vpae:1:23: error\[VPAE2018\]: seed must be a whole number, not the name 'a{50}\.\.\.' \(2000000 characters\)\n/);
  assert.match(r.stdout, /ok {2}.*micro\.vpae/, "the good file is checked and reported beside the broken ones");
  assert.ok(r.stderr.length < 8000, `diagnostics stay small: ${r.stderr.length} characters for a 2 MB name and 5,000-term sum`);
  for (const line of r.stderr.split("\n")) assert.ok(line.length < 200, `code frames clip long lines: ${line.slice(0, 80)}...`);
  const json = runCli(["check", ...names.map((n) => path.join(dir, n)), "--import-root", path.resolve("experiments"), "--json"]);
  assert.equal(json.status, 1);
  const doc = JSON.parse(json.stdout) as { diagnostics: { code: string }[] };
  assert.ok(doc.diagnostics.some((d) => d.code === "VPAE1010") && doc.diagnostics.some((d) => d.code === "VPAE1011"), json.stdout.slice(0, 500));
});

test("commands that do not exist, --version and -V, expected failures and bugs each have their exit code and message", async () => {
  for (const args of [["nosuch"], ["help", "nosuch"], ["help", "chek"]]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, new RegExp(`^vpae: no such command '${args.at(-1)}'.*\`vpae help\` lists the commands\n$`));
    assertNoStackTrace(r.stderr);
  }
  assert.match(runCli(["help", "chek"]).stderr, /did you mean 'check'/);
  for (const flag of ["--version", "-V"]) assert.match(runCli([flag]).stdout, /^\d+\.\d+\.\d+\n$/);
  // an optional backend that is not installed: the user's machine, not a bug
  const gpu = runCli(["run", "experiments/micro.vpae", "--backend", "tensorflow-gpu", "--no-tui", "--runs-dir", mkdtempSync(path.join(tmpdir(), "vpae-gpu-"))]);
  assert.equal(gpu.status, 1, gpu.stderr);
  assert.match(gpu.stderr, /^vpae run: backend tensorflow-gpu is not usable here: not installed\n  hint: @tensorflow\/tfjs-node-gpu is optional: .*libtensorflow.*--backend wasm runs everywhere\n$/);
  // a real bug: exit 3, the message, and a report file with the stack
  const { runCommand } = await import("../../runtime/cli/main.js");
  let err = "";
  const io = { stdout: () => undefined, stderr: (t: string) => void (err += t), color: false };
  const code = await runCommand("demo", { usage: "vpae demo", summary: "", spec: {}, run: () => Promise.reject(new TypeError("x is undefined")) }, ["a"], io);
  assert.equal(code, 3);
  const m = /^vpae demo: internal error \(this is a bug in vpae, not in your input\): x is undefined\n  the details are in (\S+); please attach it to a bug report\n$/.exec(err);
  assert.ok(m, err);
  const report = readFileSync(m[1]!, "utf8");
  assert.match(report, /^vpae \d+\.\d+\.\d+, node v\d+/);
  assert.match(report, /command: vpae demo a\n/);
  assert.match(report, /TypeError: x is undefined\n\s+at /);
});

test("-o to a folder, to a missing folder or to an unwritable place; fmt - reads standard input; --samples 0; a missing --params file", () => {
  const dir = tmp({});
  mkdirSync(path.join(dir, "out"));
  const micro = "experiments/micro.vpae";
  let r = runCli(["compile", micro, "-o", path.join(dir, "out")]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^vpae compile: '.*out' is a folder; -o takes a file name \(for example .*out\/plan\.json\)\n/);
  r = runCli(["compile", micro, "-o", path.join(dir, "no", "such", "p.json")]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^vpae compile: cannot write .*no\/such\/p\.json: the folder .*no\/such does not exist\n {2}hint: create it first/);
  assert.ok(!existsSync(path.join(dir, "no")), "no folder is created");
  r = runCli(["compile", micro, "-o", "/proc/vpae-plan.json"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^vpae compile: cannot write \/proc\/vpae-plan\.json: /);
  assertNoStackTrace(r.stderr);
  assert.deepEqual(readdirSync(path.join(dir, "out")), [], "no temporary file is left behind");
  // fmt - : standard input, printed; with --write it is refused
  const text = readFileSync(micro, "utf8");
  const fmt = runCli(["fmt", "-"], { input: text });
  assert.equal(fmt.status, 0, fmt.stderr);
  assert.equal(fmt.stdout, runCli(["fmt", micro]).stdout);
  const broken = runCli(["fmt", "-"], { input: "experiment e {\n  seed = \n}\n" });
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /^<stdin>:3:1: error\[VPAE1002\]/);
  assert.equal(runCli(["fmt", "--write", "-"]).status, 2);
  // --samples 0 says so
  const samples = runCli(["eval", "experiments/checkpoints/teacher.safetensors", "--samples", "0"]);
  assert.equal(samples.status, 2);
  assert.match(samples.stderr, /--samples 0 would score no clip; give 1 or more/);
  // a --params file that does not exist
  const params = runCli(["check", micro, "--params", path.join(dir, "missing.yaml")]);
  assert.equal(params.status, 1);
  assert.match(params.stderr, /error\[VPAE5001\]: cannot read '.*missing\.yaml'\n {2}hint: no such file/);
});

test("text encodings: a byte order mark is accepted, a binary or Latin-1 file gets one error, invisible characters are named by code point", () => {
  const dir = tmp({});
  const micro = readFileSync("experiments/micro.vpae", "utf8").replace('import "lib/toy.vpae"', `import "${path.resolve("experiments/lib/toy.vpae")}"`);
  writeFileSync(path.join(dir, "bom.vpae"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(micro)]));
  writeFileSync(path.join(dir, "plain.vpae"), micro);
  writeFileSync(path.join(dir, "latin1.vpae"), Buffer.from('param name = "caf\xe9"\n', "latin1"));
  writeFileSync(path.join(dir, "binary.vpae"), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)));
  writeFileSync(path.join(dir, "zw.vpae"), "param x\u200b = 1\n");
  const bom = runCli(["check", path.join(dir, "bom.vpae"), "--import-root", path.resolve("experiments")]);
  assert.equal(bom.status, 0, bom.stderr);
  const fmt = runCli(["fmt", path.join(dir, "bom.vpae")]);
  assert.equal(fmt.stdout, runCli(["fmt", path.join(dir, "plain.vpae")]).stdout, "fmt drops the byte order mark");
  const r = runCli(["check", ...["latin1", "binary", "zw"].map((n) => path.join(dir, `${n}.vpae`))]);
  assert.equal(r.status, 1);
  assertNoStackTrace(r.stderr);
  assert.match(r.stderr, /latin1\.vpae:1:\d+: error\[VPAE1012\]: not a UTF-8 text file \(bytes that are not UTF-8 at line 1\)/);
  assert.equal(r.stderr.match(/binary\.vpae:\d+:\d+: error/g)?.length, 1, "one error for a binary file, not one per byte");
  assert.match(r.stderr, /binary\.vpae:\d+:\d+: error\[VPAE1012\]: not a UTF-8 text file \(a NUL byte at line \d+\)\n/);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/, "code frames print no raw control characters or undecodable bytes");
  assert.match(r.stderr, /zw\.vpae:1:8: error\[VPAE1013\]: invisible character U\+200B \(zero-width space\)/);
  assert.ok(r.stderr.length < 3000, r.stderr);
});

test("a valid plan that the runtime cannot run: vpae check warns (VPAE2123) at the setting, vpae run refuses with the same reason", () => {
  const paper = runCli(["check", "experiments/paper/vpae-wan14b.vpae"]);
  assert.equal(paper.status, 0, paper.stderr);
  assert.match(paper.stderr, /vpae-wan14b\.vpae:\d+:\d+: warning\[VPAE2123\]: this runtime cannot run experiment 'vpae_wan14b': world kind video_latent: vpae has no data for it/);
  assert.match(paper.stderr, /warning\[VPAE2123\]: .*the hardware block \(8 GPUs, bf16, sharding fsdp\) is for vpae plan's memory estimate/);
  const dir = tmp({});
  const text = readFileSync("experiments/micro-distill.vpae", "utf8").replace('import "lib/toy.vpae"', `import "${path.resolve("experiments/lib/toy.vpae")}"`).replace(/(fake_score fake \{\n\s*kind = lora)/, "$1\n    init = teacher");
  assert.match(text, /init = teacher/);
  writeFileSync(path.join(dir, "lora.vpae"), text);
  const check = runCli(["check", path.join(dir, "lora.vpae"), "--import-root", path.resolve("experiments")]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /lora\.vpae:\d+:\d+: warning\[VPAE2123\]: this runtime cannot run experiment 'micro_distill': fake score fake: a LoRA starts at zero \(init = zero\)/);
  const run = runCli(["run", path.join(dir, "lora.vpae"), "--import-root", path.resolve("experiments"), "--no-tui", "--runs-dir", path.join(dir, "runs")]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /vpae run: this runtime cannot run micro_distill:\n {2}- fake score fake: a LoRA starts at zero/);
  assertNoStackTrace(run.stderr);
});
