// Parameter counts of the plan's models, from their sizes alone. Approximate by design (biases and
// norms are counted, small embeddings too), and exact enough to size memory at any scale.
import type { Architecture, FakeScore, Head } from "./plan/schema.js";

/**
 * DiT parameters: per block self-attention 4w^2, optional prompt cross-attention 4w^2, MLP 2 r w^2, and
 * the adaLN modulation: per_block (DiT, the toy models: each block maps the condition to its own 6
 * vectors, w x 6w) or shared (Wan2.1: one shared w x 6w projection and a 6w table per block). Layer
 * norms carry no affine weights (adaLN supplies them).
 */
export function ditParameterCount(arch: Omit<Architecture, "parameters">, channels: number, prompts?: { classes: number; tokenFrames: number }): number {
  const w = arch.width;
  const hidden = Math.round(arch.mlpRatio * w);
  const lin = (i: number, o: number) => i * o + o;
  const modulation = arch.modulation === "shared" ? 6 * w : lin(w, 6 * w);
  const perBlock = lin(w, 3 * w) + lin(w, w) + (arch.crossAttention ? 4 * w * w + 4 * w : 0) + lin(w, hidden) + lin(hidden, w) + modulation;
  const patch = arch.patch.frames * arch.patch.height * arch.patch.width;
  const inChannels = 2 * channels + 1; // noisy video, first-frame image, mask
  const embed = lin(inChannels * patch, w);
  const out = lin(w, channels * patch) + lin(w, 2 * w); // final projection and its adaLN (shift, scale)
  const time = lin(256, w) + lin(w, w) + (arch.modulation === "shared" ? lin(w, 6 * w) : 0);
  const text = arch.textDim > 0 ? lin(arch.textDim, w) + lin(w, w) : 0;
  // Class prompts (the toy worlds): a prompt table and a (prompt, token frame) table, the null prompt included.
  const prompt = prompts ? (prompts.classes + 1) * w * (1 + prompts.tokenFrames) : 0;
  return arch.depth * perBlock + embed + out + time + text + prompt;
}

/** LoRA on every attention and MLP projection of every block. */
export function loraParameterCount(arch: Architecture, fake: FakeScore): number {
  if (fake.kind === "copy") return arch.parameters;
  const w = arch.width;
  const hidden = Math.round(arch.mlpRatio * w);
  const attn = 4 * fake.rank * (w + w);
  const cross = arch.crossAttention ? 4 * fake.rank * (w + w) : 0;
  const mlp = fake.rank * (w + hidden) * 2;
  return arch.depth * (attn + cross + mlp);
}

export function headParameterCount(head: Head, width: number, taps: number): number {
  const hw = head.width;
  const project = taps * (width * hw + hw);
  switch (head.kind) {
    case "conv":
      return project + hw * hw + hw + hw + 1;
    case "cross_attention":
      return project + head.queries * hw + 4 * hw * hw + 2 * hw * 4 * hw + hw + 1;
    case "semantic":
      return project + head.queries * hw + 2 * (4 * hw * hw) + 2 * hw * 4 * hw + (head.image ? width * hw : 0) + (head.prompt ? width * hw : 0) + hw + 1;
  }
}
