// Sampler times, shared by the compiler (which writes them into plans) and the runtime (which samples
// at other step counts, e.g. the 4-NFE evaluation of a one-step student).

/** steps + 1 times from 1 down to 0 with the shift t' = s t / (1 + (s - 1) t), rounded to 12 digits. */
export function samplerTimesteps(steps: number, shift: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = 1 - i / steps;
    out.push(Number(((shift * t) / (1 + (shift - 1) * t)).toPrecision(12)));
  }
  return out;
}
