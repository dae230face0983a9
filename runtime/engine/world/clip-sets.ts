// The clip sets a model is scored on. Each is the world's evaluation stream (clip i is drawn from its
// own random stream of the set's seed, so it does not depend on how many clips are taken) under a seed
// of its own, which never follows the experiment seed: every run with the same world is scored on the
// same clips.
//
//   validation  what runs evaluate themselves on while they train, and what tuning selects on
//   test        read only for the reported tables: no selection ever looks at it
//   seed=N      any other set, for a fresh look at a model
//
// docs/metrics.md says which results use which set.

export interface ClipSet {
  /** `validation`, `test` or `seed-N`: also the suffix of a run's saved scores (scores-<role>-<name>.json). */
  name: string;
  seed: number;
}

export const VALIDATION: ClipSet = { name: "validation", seed: 0 };
export const TEST: ClipSet = { name: "test", seed: 1 };

/** `validation`, `test` or `seed=N` (N a whole number >= 0); null for anything else. */
export function parseClipSet(text: string): ClipSet | null {
  if (text === VALIDATION.name) return VALIDATION;
  if (text === TEST.name) return TEST;
  const m = /^seed=(\d+)$/.exec(text);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return null;
  return { name: `seed-${Number(m[1])}`, seed: Number(m[1]) };
}
