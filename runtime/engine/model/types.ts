// The contract of the video DiT, shared by the trainers, the samplers and the discriminators.
import type { tf } from "../tf.js";
import type { DitDims } from "../../../compiler/plan/networks.js";

/** Named parameters. Trainable sets hold tf.Variables; EMA copies and the teacher are views of their own sets. */
export type ParamSet = Map<string, tf.Variable>;

/** A DiT's architecture and clip shape: the dimensions its parameter spec is built from. */
export type DitShape = DitDims;

export interface DitInput {
  /** Noisy video x_t, [B, F, H, W, C]. */
  xt: tf.Tensor5D;
  /** Time in [0, 1] per clip (1 = pure noise), [B]. */
  t: tf.Tensor1D;
  /** The condition frame (clean frame 0), [B, H, W, C]. */
  image: tf.Tensor4D;
  /** 1 where the image condition is present, 0 where it is dropped, [B] float32. */
  imageMask: tf.Tensor1D;
  /** Prompt class per clip, int32 [B]; promptClasses = null prompt. */
  prompt: tf.Tensor1D;
}

export interface LoraAdapter {
  /** Per adapted linear layer (named as in the ParamSet): A [in, rank], B [rank, out]; B starts at zero. */
  layers: Map<string, { a: tf.Variable; b: tf.Variable }>;
  scale: number;
}

export interface DitOutput {
  /** The network's raw output, [B, F, H, W, C]: x0 or velocity as the architecture says. */
  out: tf.Tensor5D;
  /** Hidden states after the requested blocks, [B, tokens, width] each, in the order asked. */
  taps: tf.Tensor3D[];
}
