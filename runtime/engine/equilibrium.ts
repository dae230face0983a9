// Values of the adversarial losses at zero logits (D cannot tell real from generated): the reference
// lines of the terminal UI and the thresholds of its alarms. No tfjs here, so listeners can import it.
//   hinge:          D = 2          G = 0
//   non-saturating: D = 2 ln 2     G = ln 2
//   relativistic:   D = ln 2       G = ln 2
// The mismatch term (real clips under a wrong prompt, as fakes) is half of D's term: hinge 1, else ln 2.
import type { Plan } from "../../compiler/plan/schema.js";

export type AdversarialKind = Plan["discriminators"][number]["loss"];

export const EQUILIBRIUM: Record<AdversarialKind, { d: number; g: number }> = {
  hinge: { d: 2, g: 0 },
  non_saturating: { d: 2 * Math.LN2, g: Math.LN2 },
  relativistic: { d: Math.LN2, g: Math.LN2 },
};

/** The equilibrium value of every adversarial loss term of a plan, by loss name. */
export function equilibriumReferences(plan: Plan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plan.phases) {
    for (const l of p.losses) {
      if (l.kind !== "gan_generator" && l.kind !== "gan_discriminator" && l.kind !== "gan_mismatch") continue;
      const d = plan.discriminators.find((x) => x.name === l.discriminator);
      if (d) out[l.name] = l.kind === "gan_generator" ? EQUILIBRIUM[d.loss].g : l.kind === "gan_mismatch" ? (d.loss === "hinge" ? 1 : Math.LN2) : EQUILIBRIUM[d.loss].d;
    }
  }
  return out;
}
