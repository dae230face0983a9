// The screen end to end: `vpae run` in a real pseudo-terminal (tmux, 80x24) read back from the pane and
// steered with keys; `vpae watch` on a finished run outside a terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, runCli, tempDir } from "../helpers.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("vpae run in an 80x24 terminal draws the live screen, redraws cleanly when resized, obeys q, and reports what the screen cost", { skip: hasTmux ? false : "tmux is not installed" }, async () => {
  const runs = tempDir({});
  const session = `vpae-test-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
  const done = join(runs, "exit-code");
  // CI would switch the screen off: the test wants the terminal path
  const cmd = `env -u CI NO_COLOR=1 ${process.execPath} ${fromRoot("bin", "vpae.js")} run ${fromRoot("experiments", "micro-distill.vpae")} --runs-dir ${runs} --set phase.equilibrium.steps=400; echo $? > ${done}; sleep 30`;
  assert.equal(tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd).status, 0);
  try {
    const pane = () => tmux("capture-pane", "-p", "-t", session).stdout;
    let screen = "";
    for (let i = 0; i < 240 && !/gan_discriminator.*\(eq/.test(screen); i++) {
      await sleep(250);
      screen = pane();
    }
    assert.match(screen, /vpae run · micro_distill · plan [0-9a-f]{12}/);
    assert.match(screen, /▶ equilibrium/);
    assert.match(screen, /gan_discriminator.*\(eq 2\.00\)/);
    assert.match(screen, /discriminator d/);
    for (const line of screen.split("\n")) assert.ok([...line].length <= 80);
    // resizing redraws one clean frame at the new size: no second header below a wider frame, no
    // reflowed fragments above a narrower one (taller than the frame, so that Ink's own clear-the-
    // terminal path for frames that fill the screen does not hide the problem)
    for (const [cols, rows] of [[120, 40], [70, 32]] as const) {
      assert.equal(tmux("resize-window", "-t", session, "-x", String(cols), "-y", String(rows)).status, 0);
      // a frame drawn for this width: wider charts in a wide terminal; at 70 columns, phase rows that
      // fit on one line (the old 80-column frame reflows them onto two)
      const redrawn = (lines: string[]) => (cols > 80 ? lines.some((l) => [...l].length > 80) : lines.some((l) => /consistency .*done \d+:\d\d$/.test(l)));
      let lines: string[] = [];
      for (let i = 0; i < 40 && !redrawn(lines); i++) {
        await sleep(250);
        lines = pane().split("\n");
      }
      const shown = `at ${cols}x${rows}:\n${lines.join("\n")}`;
      assert.ok(redrawn(lines), `redrawn ${shown}`);
      assert.equal(lines.filter((l) => l.startsWith("vpae run · micro_distill")).length, 1, `one header ${shown}`);
      assert.match(lines[0]!, /^vpae run · micro_distill/, `the frame starts at the top ${shown}`);
      assert.ok(lines.some((l) => l.startsWith("q stop · p pause")), `footer ${shown}`);
      for (const line of lines) assert.ok([...line].length <= cols, `line fits ${cols} columns: ${line}`);
    }
    tmux("send-keys", "-t", session, "q");
    let code = "";
    for (let i = 0; i < 240 && !code; i++) {
      await sleep(250);
      try {
        code = readFileSync(done, "utf8").trim();
      } catch {
        /* not yet */
      }
    }
    assert.equal(code, "130", "a stop by q exits like Ctrl-C");
    const after = pane();
    assert.match(after, /run stopped at step \d+: stopped by the user/);
    assert.match(after, /screen: \d+ frames, [\d.]+ s of rendering \([\d.]+% of the run\)/);
    const dir = join(runs, readdirSync(runs).find((n) => n.startsWith("micro_distill-"))!);
    assert.equal(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).status, "stopped");
  } finally {
    tmux("kill-session", "-t", session);
  }
});

test("vpae watch on a finished run prints its history as plain lines, in step order, and exits 0", () => {
  const runs = tempDir({});
  const r = runCli(["run", "experiments/micro-distill.vpae", "--runs-dir", runs, "--no-tui"]);
  assert.equal(r.status, 0, r.stderr);
  const dir = join(runs, readdirSync(runs)[0]!);
  const w = runCli(["watch", dir]);
  assert.equal(w.status, 0, w.stderr);
  const lines = w.stdout.trim().split("\n");
  assert.match(lines[0]!, /^run micro_distill \(plan [0-9a-f]{12}\)/);
  assert.match(w.stdout, /phase 3 equilibrium: 5 steps/);
  assert.match(w.stdout, /eval @12 NFE 1: semantic_alignment/);
  assert.match(lines.at(-1)!, /^run finished at step 12/);
  // the same steps, losses and evaluations as the run's own log
  const steps = (s: string) => s.split("\n").filter((l) => /^\s+(consistency|priming|equilibrium) \d+\/\d+/.test(l)).map((l) => l.replace(/\s+[\d.]+ steps\/s$/, ""));
  assert.deepEqual(steps(w.stdout), steps(r.stdout));
  const evalLines = (s: string) => s.split("\n").filter((l) => l.includes("eval @")).map((l) => l.replace(/\(\d+\.\d+ s\)/, ""));
  assert.deepEqual(evalLines(w.stdout), evalLines(r.stdout));
  // a name that is no run is a clear error
  const bad = runCli(["watch", "no-such-run", "--runs-dir", runs]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^vpae watch: /);
});

test("vpae sweep in a terminal draws the sweep screen; q stops every member at a checkpoint; vpae watch shows the sweep", { skip: hasTmux ? false : "tmux is not installed" }, async () => {
  const runs = tempDir({});
  const session = `vpae-sweep-test-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
  const done = join(runs, "exit-code");
  const cmd = `env -u CI NO_COLOR=1 ${process.execPath} ${fromRoot("bin", "vpae.js")} sweep ${fromRoot("experiments", "micro-sweep.vpae")} --runs-dir ${runs} --jobs 2 --set phase.equilibrium.steps=200; echo $? > ${done}; sleep 30`;
  assert.equal(tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "30", cmd).status, 0);
  try {
    const pane = () => tmux("capture-pane", "-p", "-t", session).stdout;
    let screen = "";
    for (let i = 0; i < 240 && !/running\s+equilibrium/.test(screen); i++) {
      await sleep(250);
      screen = pane();
    }
    const lines = screen.split("\n");
    assert.match(lines[0]!, /^vpae sweep · micro_sweep · 4 members · 2 at a time · \d+:\d\d/);
    assert.match(screen, /\s0 variant=base\s+running\s+equilibrium/);
    assert.match(screen, /\s1 variant=csds_1\s+(pending\s+from #0 after priming|running)/);
    assert.match(screen, /q or Ctrl-C: stop every member at a checkpoint/);
    for (const line of lines) assert.ok([...line].length <= 110, `fits: ${line}`);

    tmux("send-keys", "-t", session, "q");
    let code = "";
    for (let i = 0; i < 240 && !code; i++) {
      await sleep(250);
      try {
        code = readFileSync(done, "utf8").trim();
      } catch {
        /* not yet */
      }
    }
    assert.equal(code, "130", "q stops the sweep like Ctrl-C");
    const after = pane();
    assert.match(after, /sweep done in .*stopped/);
    const base = readdirSync(runs).find((n) => n.startsWith("micro_distill-"))!;
    const m = JSON.parse(readFileSync(join(runs, base, "manifest.json"), "utf8")) as { status: string; checkpoints: { step: number }[] };
    assert.equal(m.status, "stopped");
    assert.ok(m.checkpoints.length > 0);
    // vpae watch on the stopped sweep, outside a terminal: its history as plain lines, then exit 0
    const w = runCli(["watch", "micro_sweep", "--runs-dir", runs], { env: { CI: "1" } });
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stdout, /^sweep micro_sweep: 4 members/);
    assert.match(w.stdout, /\[0\] started variant=base/);
    assert.match(w.stdout, /\[0\] stopped variant=base/);
  } finally {
    tmux("kill-session", "-t", session);
  }
});
