// The live sweep screen (Ink): a header with totals and the ETA, one row per member (status, phase,
// progress, latest one-step score, D gap, time), the newest notes, and failures with their log paths.
// It only reads a SweepView (sweep-state.ts).
import { Box, Text, useInput, useStdout } from "ink";
import type { ReactElement } from "react";
import { groupMean } from "../engine/eval/groups.js";
import type { MemberRow } from "../sweep/events.js";
import { sweepCounts, sweepEta, type SweepView } from "./sweep-state.js";
import { clock, num, progressBar } from "./charts.js";

export interface SweepAppProps {
  view: SweepView;
  now: number;
  color: boolean;
  watching: boolean;
  stopping: boolean;
  columns?: number;
}

/** The phase column: a phase name, or where a waiting member's shared phases come from ("from #0 after priming"). */
const PHASE_W = 22;

const COLORS: Record<string, string> = { running: "cyan", finished: "green", cached: "green", failed: "red", stopped: "yellow", requeued: "yellow", skipped: "yellow" };

function Row({ r, nameW, barW, color }: { r: MemberRow; nameW: number; barW: number; color: boolean }): ReactElement {
  const mean = groupMean(r.scores);
  const status = r.status.padEnd(8);
  const colour = color ? COLORS[r.status] : undefined;
  const detail = r.status === "pending" && r.share ? `from ${r.share.replace(/^member /, "#")}` : (r.phase ?? "");
  return (
    <Text wrap="truncate">
      {String(r.index).padStart(3)} {r.name.padEnd(nameW).slice(0, nameW)} <Text {...(colour ? { color: colour } : {})}>{status}</Text> {detail.padEnd(PHASE_W).slice(0, PHASE_W)} {progressBar(r.step, r.totalSteps, barW)}{" "}
      {`${r.step}/${r.totalSteps}`.padStart(9)} {mean !== null ? num(mean, 1).padStart(5) : "    -"} {r.dGap !== null ? num(r.dGap, 2).padStart(6) : "     -"} {r.seconds > 0 ? clock(r.seconds).padStart(7) : "       "}
    </Text>
  );
}

export function SweepApp({ view, now, color, watching, stopping, columns }: SweepAppProps): ReactElement {
  const { stdout } = useStdout();
  const width = Math.max(70, Math.min(columns ?? stdout?.columns ?? 100, 160));
  const nameW = Math.min(32, Math.max(6, ...view.rows.map((r) => r.name.length)));
  const barW = Math.max(6, Math.min(20, width - nameW - 74));
  const counts = sweepCounts(view);
  const elapsed = view.startedAt !== null ? ((view.endedAt ?? now) - view.startedAt) / 1000 : 0;
  const eta = view.endedAt === null ? sweepEta(view, now) : null;
  const failures = view.rows.filter((r) => r.status === "failed");
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        vpae {watching ? "watch" : "sweep"} · {view.sweep || "…"} · {view.rows.length} members · {view.launcher === "slurm" ? `Slurm job ${view.job ?? "?"}` : `${view.jobs} at a time`} · {clock(elapsed)}
        {eta !== null ? ` · ETA ${clock(eta)}` : ""}
      </Text>
      <Text dimColor wrap="truncate-start">
        {view.dir}
      </Text>
      <Text dimColor wrap="truncate">
        {"  #"} {"member".padEnd(nameW)} {"status  "} {"phase".padEnd(PHASE_W)} {" ".repeat(barW)} {"steps".padStart(9)} {" mean"} {" D gap"} {"   time"}
      </Text>
      {view.rows.map((r) => (
        <Row key={r.index} r={r} nameW={nameW} barW={barW} color={color} />
      ))}
      <Text wrap="truncate">
        {Object.entries(counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(" · ")}
      </Text>
      {failures.map((r) => (
        <Text key={`f${r.index}`} wrap="truncate" {...(color ? { color: "red" } : {})}>
          member {r.index} failed: {r.reason ?? "?"}
          {r.log ? ` (log ${r.log})` : ""}
        </Text>
      ))}
      {view.notes.map((n, i) => (
        <Text key={`n${i}`} dimColor wrap="truncate">
          {n.index !== null ? `member ${n.index}: ` : ""}
          {n.message}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {watching ? "watching (read-only) · q or Ctrl-C to leave" : stopping ? "stopping: members write a checkpoint (Ctrl-C again: at once)" : "q or Ctrl-C: stop every member at a checkpoint (the same command resumes)"}
      </Text>
    </Box>
  );
}

export function SweepScreen(props: SweepAppProps & { onKey?: (key: string) => void }): ReactElement {
  useInput(
    (input, key) => {
      if (key.ctrl && input === "c") props.onKey?.("ctrl-c");
      else props.onKey?.(input);
    },
    { isActive: process.stdin.isTTY === true && props.onKey !== undefined },
  );
  return <SweepApp {...props} />;
}
