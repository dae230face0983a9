// What a run tells the world. The runtime emits these; the plain logger, the JSON logger and the
// terminal UI only listen (they never import tfjs).

export interface StepStats {
  /** Loss terms by name, as plain numbers (read back from the backend after every update). */
  losses: Record<string, number>;
  /** Diagnostics: grad norms per role, output statistics, learning rates... */
  stats: Record<string, number>;
  /** Per-clip values of the step (each discriminator's logits on real and generated clips). */
  histograms?: Record<string, number[]>;
}

export type RunEvent =
  | {
      type: "run-start";
      experiment: string;
      planHash: string;
      backend: string;
      backendDetail: string;
      runDir: string;
      resumedFrom: number | null;
      totalSteps: number;
      /** Every phase of the plan, in order. */
      phases: { name: string; steps: number }[];
      /** Equilibrium value of each adversarial loss term at zero logits (reference lines). */
      references: Record<string, number>;
      time: number;
    }
  | { type: "phase-start"; phase: string; index: number; steps: number; time: number }
  | ({ type: "step"; phase: string; phaseStep: number; phaseSteps: number; step: number; totalSteps: number; stepsPerSecond: number; time: number } & StepStats)
  | { type: "eval"; phase: string; step: number; nfe: number; scores: Record<string, number>; latencyMs: number; samplePath: string | null; time: number }
  | { type: "checkpoint"; step: number; file: string; time: number }
  | { type: "warning"; message: string; time: number }
  | { type: "phase-end"; phase: string; index: number; seconds: number; time: number }
  | { type: "run-end"; status: "finished" | "stopped" | "failed"; reason: string | null; step: number; seconds: number; time: number };

export type RunListener = (e: RunEvent) => void;
