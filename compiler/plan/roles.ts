// Which role a loss term updates: shared by the compiler's checks, `vpae plan` and the runtime.
import type * as P from "./schema.js";
import { LOSSES } from "./kinds.js";

/** The role a loss term updates. */
export function trainedRole(l: P.Loss): string {
  const trains = LOSSES[l.kind].trains;
  if (trains === "student") return "student";
  if (trains === "discriminator") return (l as Extract<P.Loss, { discriminator: string }>).discriminator;
  return (l as Extract<P.Loss, { role: string }>).role;
}
