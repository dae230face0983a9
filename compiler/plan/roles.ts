// Which role a loss term updates: shared by the compiler's checks, `vpae plan` and the runtime.
import type * as P from "./schema.js";

/** The role a loss term updates. */
export function trainedRole(l: P.Loss): string {
  switch (l.kind) {
    case "flow_matching":
    case "diffusion":
      return l.role;
    case "gan_discriminator":
    case "gan_mismatch":
    case "r1":
    case "approx_r1":
    case "str1":
      return l.discriminator;
    default:
      return "student";
  }
}
