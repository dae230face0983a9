// Rectified flow: x_t = (1 - t) x0 + t eps, velocity v = eps - x0 (t = 1 is pure noise). The networks
// predict x0 or v; these helpers convert between the two, noise clips, paste the condition frame, and
// sample with the Euler ODE solver (any number of steps, explicit times, classifier-free guidance).
//
// Image-to-video convention (as in the probes that shaped the world): frame 0 IS the condition image, so
// it is pasted clean into every x_t the network sees, and losses cover frames 1.. only.
import { tf } from "./tf.js";

/** [B] -> [B, 1, 1, 1, 1] for broadcasting over videos. */
export function perClip(t: tf.Tensor1D): tf.Tensor5D {
  return tf.reshape(t, [t.shape[0], 1, 1, 1, 1]);
}

export function noisy(x0: tf.Tensor5D, eps: tf.Tensor5D, t: tf.Tensor1D): tf.Tensor5D {
  return tf.tidy(() => {
    const tt = perClip(t);
    return tf.add(tf.mul(tf.sub(1, tt), x0), tf.mul(tt, eps));
  });
}

// Frame slices go through a rank-3 view [B, F, H*W*C]: the wasm backend slices rank <= 4 natively
// and falls back to a slow element-by-element path for rank 5.

/** Replaces frame 0 of a video by the condition image [B, H, W, C]. */
export function pasteFirstFrame(x: tf.Tensor5D, image: tf.Tensor4D): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, f, h, w, c] = x.shape;
    const rest = tf.slice(tf.reshape(x, [b, f, h * w * c]), [0, 1, 0], [b, f - 1, h * w * c]);
    return tf.reshape(tf.concat([tf.reshape(image, [b, 1, h * w * c]), rest], 1), [b, f, h, w, c]) as tf.Tensor5D;
  });
}

/** Frame 0 of a video, [B, H, W, C]: the condition image. */
export function firstFrame(x: tf.Tensor5D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, f, h, w, c] = x.shape;
    return tf.reshape(tf.slice(tf.reshape(x, [b, f, h * w * c]), [0, 0, 0], [b, 1, h * w * c]), [b, h, w, c]) as tf.Tensor4D;
  });
}

/** Frames from..from+count-1 of a video. */
export function frames(x: tf.Tensor5D, from: number, count: number): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, f, h, w, c] = x.shape;
    return tf.reshape(tf.slice(tf.reshape(x, [b, f, h * w * c]), [0, from, 0], [b, count, h * w * c]), [b, count, h, w, c]) as tf.Tensor5D;
  });
}

/** Frames 1.. of a video (what the losses cover). */
export function futureFrames(x: tf.Tensor5D): tf.Tensor5D {
  return frames(x, 1, x.shape[1] - 1);
}

export type Prediction = "x0" | "velocity";

/** x0 from the network output. */
export function toX0(out: tf.Tensor5D, xt: tf.Tensor5D, t: tf.Tensor1D, prediction: Prediction): tf.Tensor5D {
  if (prediction === "x0") return out;
  return tf.tidy(() => tf.sub(xt, tf.mul(perClip(t), out)));
}

/**
 * The flow-matching loss on velocity, per clip weight included. With x0 prediction, v_hat = (x_t - x0_hat)/t,
 * so the loss is |x0_hat - x0|^2 / t^2; `minT` clamps t there, because tiny t would give the nearly
 * clean clips (which decide nothing about motion) weights in the hundreds.
 */
export function velocityLoss(out: tf.Tensor5D, x0: tf.Tensor5D, eps: tf.Tensor5D, t: tf.Tensor1D, prediction: Prediction, minT: number): tf.Scalar {
  return tf.tidy(() => {
    if (prediction === "velocity") {
      const v = tf.sub(eps, x0);
      return tf.mean(tf.square(tf.sub(futureFrames(out), futureFrames(v as tf.Tensor5D))));
    }
    const w = tf.div(1, tf.square(tf.maximum(perClip(t), minT)));
    return tf.mean(tf.mul(tf.square(tf.sub(futureFrames(out), futureFrames(x0))), w));
  });
}

export interface SamplerConfig {
  /** Descending from <= 1 to 0; steps = timesteps.length - 1. */
  timesteps: readonly number[];
  /** 1: no guidance (one network call per step). */
  guidance: number;
}

/** Conditional (and, with guidance, unconditional) x0 estimate at time t. */
export type X0Fn = (xt: tf.Tensor5D, t: tf.Tensor1D, conditional: boolean) => tf.Tensor5D;

/**
 * Euler ODE sampling from noise `eps` [B,F,H,W,C]. Returns the video and the number of network
 * evaluations per clip. The last step lands exactly on the x0 estimate.
 */
export function sampleEuler(x0Fn: X0Fn, eps: tf.Tensor5D, image: tf.Tensor4D, cfg: SamplerConfig): { video: tf.Tensor5D; nfe: number } {
  const b = eps.shape[0];
  let x = pasteFirstFrame(eps, image);
  let nfe = 0;
  for (let i = 0; i + 1 < cfg.timesteps.length; i++) {
    const t = cfg.timesteps[i]!;
    const tn = cfg.timesteps[i + 1]!;
    const next = tf.tidy(() => {
      const tt = tf.fill([b], t) as tf.Tensor1D;
      let x0 = x0Fn(x, tt, true);
      if (cfg.guidance !== 1) {
        const xu = x0Fn(x, tt, false);
        x0 = tf.add(xu, tf.mul(tf.sub(x0, xu), cfg.guidance));
      }
      const stepped = tn <= 0 ? x0 : tf.add(x, tf.mul(tf.div(tf.sub(x, x0), Math.max(t, 1e-6)), tn - t));
      return pasteFirstFrame(stepped as tf.Tensor5D, image);
    });
    nfe += cfg.guidance !== 1 ? 2 : 1;
    x.dispose();
    x = next;
  }
  return { video: x, nfe };
}
