// Values of the adversarial losses at zero logits (D cannot tell real from generated): the reference
// lines of the terminal UI and the thresholds of its alarms. No tfjs here, so listeners can import it.
//   hinge:          D = 2          G = 0
//   non-saturating: D = 2 ln 2     G = ln 2
//   relativistic:   D = ln 2       G = ln 2
export type AdversarialKind = "hinge" | "non_saturating" | "relativistic";

export const EQUILIBRIUM: Record<AdversarialKind, { d: number; g: number }> = {
  hinge: { d: 2, g: 0 },
  non_saturating: { d: 2 * Math.LN2, g: Math.LN2 },
  relativistic: { d: Math.LN2, g: Math.LN2 },
};
