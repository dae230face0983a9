// Discriminator regularisers on real clips. D is any function from clips [B,F,H,W,C] to logits [B].
//   r1:         E ||dD/dx||^2 (exact input gradient)
//   approx_r1:  E (D(x) - D(x + sigma n))^2, n ~ N(0, I) per element (APT's finite-difference form)
//   str1:       V-PAE's spatio-temporal form: E (D(x) - D(x + sigma_s n_s))^2 + E (D(x) - D(x + sigma_t n_t))^2,
//               n_s per element, n_t one draw per (clip, frame, channel) shared by every pixel of that
//               frame, so the second term probes how D reacts to frame-to-frame (temporal) changes.
import { tf } from "../tf.js";

export type DiscriminatorFn = (x: tf.Tensor5D) => tf.Tensor1D;

export function r1(d: DiscriminatorFn, real: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(d(x as tf.Tensor5D)))(real);
    return tf.mean(tf.sum(tf.reshape(tf.square(g), [real.shape[0], -1]), 1)) as tf.Scalar;
  });
}

export function approxR1(d: DiscriminatorFn, real: tf.Tensor5D, sigma: number, noise: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(d(real), d(tf.add(real, tf.mul(noise, sigma)) as tf.Tensor5D)))) as tf.Scalar);
}

/**
 * `spatial` is per-element noise [B,F,H,W,C]; `temporal` is [B,F,1,1,C] (broadcast over the pixels of
 * each frame).
 */
export function str1(d: DiscriminatorFn, real: tf.Tensor5D, sigmaSpatial: number, sigmaTemporal: number, spatial: tf.Tensor5D, temporal: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const base = d(real);
    const s = d(tf.add(real, tf.mul(spatial, sigmaSpatial)) as tf.Tensor5D);
    const t = d(tf.add(real, tf.mul(temporal, sigmaTemporal)) as tf.Tensor5D);
    return tf.add(tf.mean(tf.square(tf.sub(base, s))), tf.mean(tf.square(tf.sub(base, t)))) as tf.Scalar;
  });
}
