// The live screen of `vpae run` and `vpae watch` (Ink): header, phase timeline, loss charts with
// equilibrium lines, the discriminator panel, health, alarms, the latest evaluation, and the keys.
// It only reads a RunView (runtime/tui/state.ts); it never imports tfjs.
import { Box, Text, useInput, useStdout } from "ink";
import type { ReactElement } from "react";
import { discriminators, latestEvals, termsWith, type RunView } from "./state.js";
import type { Alarm } from "./alarms.js";
import { clock, histogram, lineChart, num, progressBar } from "./charts.js";

export interface Controls {
  /** Absent in `vpae watch`: a watcher cannot steer the run. */
  stop?: () => void;
  togglePause?: () => void;
  sampleNow?: () => void;
  paused?: boolean;
  stopping?: boolean;
}

export interface AppProps {
  view: RunView;
  alarms: Alarm[];
  now: number;
  controls: Controls;
  watching: boolean;
  color: boolean;
  /** Terminal width; default: the output's columns (tests pass it). */
  columns?: number;
}

const c = (color: boolean, name: string) => (color ? name : undefined);

function Header({ view, now, watching }: { view: RunView; now: number; watching: boolean }): ReactElement {
  const elapsed = view.startedAt !== null ? ((view.status === "running" ? now : (view.lastTime ?? now)) - view.startedAt) / 1000 : 0;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        vpae {watching ? "watch" : "run"} · {view.experiment || "…"} · plan {view.planHash.slice(0, 12)} · {view.backend}
        {view.backendDetail ? ` (${view.backendDetail})` : ""}
      </Text>
      <Text dimColor wrap="truncate-start">
        {view.runDir} · {clock(elapsed)} · step {view.step}/{view.totalSteps} · {view.status}
        {view.reason ? `: ${view.reason}` : ""}
      </Text>
    </Box>
  );
}

function Phases({ view, width, color }: { view: RunView; width: number; color: boolean }): ReactElement {
  const nameW = Math.min(14, Math.max(6, ...view.phases.map((p) => p.name.length)));
  const barW = Math.max(8, Math.min(30, width - nameW - 36));
  return (
    <Box flexDirection="column">
      {view.phases.map((p, i) => {
        const current = i === view.current && view.status === "running";
        const eta = current && view.stepsPerSecond > 0 ? `ETA ${clock((p.steps - p.done) / view.stepsPerSecond)}` : p.seconds !== null ? `done ${clock(p.seconds)}` : "";
        const rate = current && view.stepsPerSecond > 0 ? `${view.stepsPerSecond.toFixed(2)} it/s` : "";
        return (
          <Text key={p.name + i} wrap="truncate" {...(current ? { color: c(color, "cyan"), bold: true } : { dimColor: !current && p.done < p.steps })}>
            {current ? "▶ " : "  "}
            {p.name.padEnd(nameW).slice(0, nameW)} {progressBar(p.done, p.steps, barW)} {`${p.done}/${p.steps}`.padStart(9)} {rate.padStart(10)} {eta}
          </Text>
        );
      })}
    </Box>
  );
}

function Losses({ view, width, color }: { view: RunView; width: number; color: boolean }): ReactElement {
  const names = view.currentLosses.filter((n) => view.losses.has(n));
  const chartW = Math.max(10, Math.min(40, width - 34));
  const height = names.length > 3 ? 1 : 2;
  return (
    <Box flexDirection="column">
      <Text bold>losses{view.phases[view.current] ? ` (${view.phases[view.current]!.name})` : ""}</Text>
      {names.map((name) => {
        const h = view.losses.get(name)!;
        const ref = view.references[name];
        const chart = lineChart(h, chartW, height, ref);
        return chart.rows.map((row, r) => (
          <Text key={name + r} wrap="truncate">
            {r === 0 ? ` ${name.padEnd(17).slice(0, 17)}` : " ".repeat(18)}
            <Text color={c(color, "green")}>{row}</Text>
            {r === 0 ? ` ${num(h.at(-1))}${ref !== undefined ? ` (eq ${num(ref, 2)})` : ""}` : ""}
          </Text>
        ));
      })}
    </Box>
  );
}

/** Steps the per-noise-level gaps are averaged over (each step has only a few clips per level). */
const RECENT = 20;
const levels = ["low", "mid", "high"] as const;
const recent = (xs: number[] | undefined): number | undefined => {
  const tail = (xs ?? []).slice(-RECENT).filter(Number.isFinite);
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : undefined;
};

function Discriminators({ view, color }: { view: RunView; color: boolean }): ReactElement | null {
  const discs = discriminators(view);
  if (discs.length === 0) return null;
  return (
    <Box flexDirection="column">
      {discs.map((d) => {
        const last = (k: string) => view.stats.get(`d/${d}/${k}`)?.at(-1);
        const real = last("logit_real");
        const fake = last("logit_fake");
        const hr = view.histograms[`d/${d}/real`] ?? [];
        const hf = view.histograms[`d/${d}/fake`] ?? [];
        const all = [...hr, ...hf].filter(Number.isFinite);
        const lo = Math.min(-1, ...all);
        const hi = Math.max(1, ...all);
        const reg = [...view.losses.keys()].find((k) => /r1|str1/.test(k));
        return (
          <Box key={d} flexDirection="column">
            <Text bold>discriminator {d}</Text>
            <Text wrap="truncate">
              {" "}logit real {num(real, 2)} fake {num(fake, 2)} gap {real !== undefined && fake !== undefined ? num(real - fake, 2) : "—"} · acc {num(last("accuracy"), 2)}
              {reg ? ` · ${reg} ${num(view.losses.get(reg)?.at(-1))}` : ""}
            </Text>
            <Text wrap="truncate">
              {" "}real <Text color={c(color, "blue")}>{histogram(hr, lo, hi, 12).bars}</Text> fake <Text color={c(color, "magenta")}>{histogram(hf, lo, hi, 12).bars}</Text> [{num(lo, 1)}, {num(hi, 1)}]
            </Text>
            {levels.some((l) => recent(view.stats.get(`d/${d}/gap_t_${l}`)) !== undefined) ? (
              <Text wrap="truncate">
                {" "}gap by noise level t (last {RECENT}): {levels.map((l) => `${l} ${num(recent(view.stats.get(`d/${d}/gap_t_${l}`)), 2)}`).join(" · ")}
              </Text>
            ) : null}
          </Box>
        );
      })}
    </Box>
  );
}

function Health({ view }: { view: RunView }): ReactElement {
  const roles = [...view.stats.keys()].filter((k) => k.startsWith("grad_norm/")).map((k) => k.slice("grad_norm/".length));
  const last = (k: string) => view.stats.get(k)?.at(-1);
  const clips = (r: string) => (view.stats.get(`clipped/${r}`) ?? []).reduce((a, b) => a + b, 0);
  let nonFinite = 0;
  for (const h of [...view.losses.values(), ...view.stats.values()]) for (const v of h) if (!Number.isFinite(v)) nonFinite++;
  return (
    <Box flexDirection="column">
      <Text bold>health</Text>
      <Text wrap="truncate">
        {" "}grad {roles.map((r) => `${r} ${num(last(`grad_norm/${r}`), 2)}${clips(r) ? ` (${clips(r)} clipped)` : ""}`).join(" · ") || "—"} · non-finite {nonFinite}
      </Text>
      <Text wrap="truncate">
        {" "}output mean {num(last("gen/mean"), 3)} std {num(last("gen/std"), 3)} frame Δ {num(last("gen/frame_diff"), 3)}
      </Text>
      {/* a distribution-matching term: has the fake score moved off the teacher? */}
      {termsWith(view, "/fake_shift").map((t) => (
        <Text key={t} wrap="truncate">
          {" "}{t} fake score: shift from teacher {num(last(`${t}/fake_shift`), 4)} · gap to guided teacher {num(last(`${t}/fake_vs_teacher`), 4)}
        </Text>
      ))}
      {/* a C-SDS or SDS term: where along t' does it pull? */}
      {termsWith(view, "/t_low").filter((t) => !t.startsWith("d/")).map((t) => (
        <Text key={t} wrap="truncate">
          {" "}{t} by noise level t' (last {RECENT}): {levels.map((l) => `${l} ${num(recent(view.stats.get(`${t}/t_${l}`)), 4)}`).join(" · ")}
        </Text>
      ))}
    </Box>
  );
}

function Alarms({ alarms, color }: { alarms: Alarm[]; color: boolean }): ReactElement {
  if (alarms.length === 0) return <Text color={c(color, "green")}>no alarms</Text>;
  return (
    <Box flexDirection="column">
      {alarms.map((a) => (
        <Text key={a.id + a.subject} color={c(color, "red")} wrap="truncate">
          ! {a.message}
        </Text>
      ))}
    </Box>
  );
}

function Evals({ view }: { view: RunView }): ReactElement {
  const latest = latestEvals(view);
  if (latest.length === 0) return <Text dimColor>no evaluation yet</Text>;
  const sample = latest.find((e) => e.samplePath)?.samplePath;
  return (
    <Box flexDirection="column">
      {latest.map((e) => (
        <Text key={e.nfe} wrap="truncate">
          eval @{e.step} NFE {e.nfe}: SA {num(e.scores["semantic_alignment"], 1)} TC {num(e.scores["temporal_coherence"], 1)} FQ {num(e.scores["frame_quality"], 1)}
          {e.scores["direction_accuracy"] !== undefined ? ` dir ${num(e.scores["direction_accuracy"], 0)}%` : ""}
        </Text>
      ))}
      {sample ? (
        <Text dimColor wrap="truncate-start">
          sample: {sample}
        </Text>
      ) : null}
    </Box>
  );
}

const HELP = [
  "q  stop at the next step boundary, after a checkpoint (Ctrl-C does the same; twice exits at once)",
  "p  pause / resume at a step boundary",
  "s  evaluate and write samples at the next step boundary",
  "?  this help",
  "Reference lines (dotted) mark each adversarial loss at zero logits: hinge D 2 / G 0, non-saturating D 1.386 / G 0.693.",
];

export function App({ view, alarms, now, controls, watching, color, columns }: AppProps & { help?: boolean }): ReactElement {
  const { stdout } = useStdout();
  const width = Math.max(60, Math.min(columns ?? stdout?.columns ?? 80, 140));
  return (
    <Box flexDirection="column" width={width}>
      <Header view={view} now={now} watching={watching} />
      <Phases view={view} width={width} color={color} />
      <Losses view={view} width={width} color={color} />
      <Discriminators view={view} color={color} />
      <Health view={view} />
      <Alarms alarms={alarms} color={color} />
      <Evals view={view} />
      <Text dimColor wrap="truncate">
        {watching ? "watching (read-only) · Ctrl-C to leave" : `${controls.stopping ? "stopping… " : ""}${controls.paused ? "PAUSED · " : ""}q stop · p ${controls.paused ? "resume" : "pause"} · s samples · ? help`}
      </Text>
    </Box>
  );
}

/** The App plus the keys and the help overlay. */
export function Screen(props: AppProps & { onKey?: (key: string) => void; help: boolean }): ReactElement {
  useInput((input, key) => {
    if (key.ctrl && input === "c") props.onKey?.("ctrl-c");
    else props.onKey?.(input);
  }, { isActive: process.stdin.isTTY === true || props.onKey !== undefined });
  if (props.help) {
    return (
      <Box flexDirection="column">
        <Text bold>vpae keys</Text>
        {HELP.map((h) => (
          <Text key={h}>{h}</Text>
        ))}
        <Text dimColor>press ? to return</Text>
      </Box>
    );
  }
  return <App {...props} />;
}
