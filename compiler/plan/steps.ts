// Step counting over a plan's phases: the one place that turns phase lengths into global steps.
// The runner, the run follower, the checkpoint pruner, sweeps and reports all count through it.

/** The number of training steps in all the phases together. */
export function totalSteps(phases: readonly { steps: number }[]): number {
  let n = 0;
  for (const p of phases) n += p.steps;
  return n;
}

/** The global step at which phase `index` starts (0 for the first; the total past the last). */
export function phaseStartStep(phases: readonly { steps: number }[], index: number): number {
  return totalSteps(phases.slice(0, index));
}

/** The global steps at which each phase ends (checkpoints there are never pruned; forks start there). */
export function phaseEndSteps(phases: readonly { steps: number }[]): number[] {
  let step = 0;
  return phases.map((p) => (step += p.steps));
}
