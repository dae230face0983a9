// Parameter counts of the plan's models, from their sizes alone. Approximate by design (biases and
// norms are counted, small embeddings too), and exact enough to size memory at any scale.
import type { Architecture, FakeScore, Head } from "./plan/schema.js";

/**
 * DiT with adaLN modulation (Wan2.1 style: one shared time MLP, a 6-vector table per block):
 * per block self-attention 4w^2, optional prompt cross-attention 4w^2, MLP 2 r w^2.
 */
export function ditParameterCount(arch: Omit<Architecture, "parameters">, channels: number): number {
  const w = arch.width;
  const hidden = Math.round(arch.mlpRatio * w);
  const perBlock = 4 * w * w + 4 * w + (arch.crossAttention ? 4 * w * w + 4 * w : 0) + 2 * w * hidden + hidden + w + 6 * w + 4 * w;
  const patch = arch.patch.frames * arch.patch.height * arch.patch.width;
  const inChannels = 2 * channels + 1; // noisy video, first-frame image, mask
  const embed = inChannels * patch * w + w;
  const out = w * channels * patch + channels * patch + 2 * w;
  const time = 256 * w + w + w * w + w + w * 6 * w + 6 * w;
  const text = arch.textDim > 0 ? arch.textDim * w + w + w * w + w : 0;
  const classTable = 64 * w; // prompt classes of the toy world (and frame/class embeddings)
  return arch.depth * perBlock + embed + out + time + text + classTable;
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
