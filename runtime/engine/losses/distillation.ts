// Distillation objectives on the generator's output x0 [B,F,H,W,C]. Each is written as a regression
// to a stop-gradient target, so that its gradient with respect to x0 is exactly the update the method
// prescribes (losses cover frames 1..: frame 0 is the condition).
import { tf } from "../tf.js";
import { futureFrames } from "../flow.js";

/** Identity in the forward pass, zero gradient in the backward pass (tfjs-core has no stop_gradient). */
const stopGradientOp = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/**
 * VSD / DMD: the gradient on x0 is -(s_real - s_fake), which in x0 terms is proportional to
 * (x0_fake - x0_real) (the fake score's and the teacher's denoised estimates of the re-noised sample).
 * `normalise` (DMD) divides by mean |x0 - x0_real| per clip. Loss = 0.5 ||x0 - sg(x0 - grad)||^2, whose
 * gradient with respect to x0 is `grad` (times the element count's mean factor).
 */
export function distributionMatching(x0: tf.Tensor5D, realX0: tf.Tensor5D, fakeX0: tf.Tensor5D, normalise: boolean): tf.Scalar {
  return tf.tidy(() => {
    let grad = tf.sub(fakeX0, realX0);
    if (normalise) {
      const b = x0.shape[0];
      const w = tf.mean(tf.reshape(tf.abs(tf.sub(x0, realX0)), [b, -1]), 1);
      grad = tf.div(grad, tf.reshape(tf.add(w, 1e-6), [b, 1, 1, 1, 1]));
    }
    const target = stopGradient(tf.sub(x0, grad) as tf.Tensor5D);
    return tf.mul(0.5, tf.mean(tf.square(tf.sub(futureFrames(x0), futureFrames(target))))) as tf.Scalar;
  });
}

/**
 * (Conditional) score distillation: regress the generator output to the frozen teacher's denoised
 * estimate of a re-noised copy of it, with no gradient through the teacher. Zero gradient when the
 * output is a fixed point of the teacher.
 */
export function scoreDistillation(x0: tf.Tensor5D, teacherX0: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(futureFrames(x0), futureFrames(stopGradient(teacherX0))))) as tf.Scalar);
}
