// Adversarial objectives on discriminator logits (one logit per clip, [B]). Each returns a scalar to
// minimise. Equilibrium values at zero logits (what the UI draws as reference lines):
//   hinge:          D = 2          G = 0
//   non-saturating: D = 2 ln 2     G = ln 2
//   relativistic:   D = ln 2       G = ln 2
import { tf } from "../tf.js";
import type { AdversarialKind } from "../equilibrium.js";
export type { AdversarialKind };

/** log(1 + exp(x)), stable for large |x|. */
function softplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** The discriminator's loss: real clips should score high, generated ones low. */
export function discriminatorLoss(kind: AdversarialKind, real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    switch (kind) {
      case "hinge":
        return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))) as tf.Scalar;
      case "non_saturating":
        // -log sigmoid(real) - log(1 - sigmoid(fake)) = softplus(-real) + softplus(fake)
        return tf.add(tf.mean(softplus(tf.neg(real))), tf.mean(softplus(fake))) as tf.Scalar;
      case "relativistic":
        // -log sigmoid(real - fake), pairing clip i's real with its fake
        return tf.mean(softplus(tf.sub(fake, real))) as tf.Scalar;
    }
  });
}

/**
 * The matching-aware term (GAN-CLS): real clips paired with a wrong prompt must score like generated
 * ones, so that the discriminator learns to check the prompt. `right` (the same clips under their own
 * prompt) is needed by the relativistic form only.
 */
export function mismatchLoss(kind: AdversarialKind, wrong: tf.Tensor1D, right?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    switch (kind) {
      case "hinge":
        return tf.mean(tf.relu(tf.add(1, wrong))) as tf.Scalar;
      case "non_saturating":
        return tf.mean(softplus(wrong)) as tf.Scalar;
      case "relativistic":
        if (!right) throw new Error("the relativistic mismatch term needs the logits under the right prompt");
        return tf.mean(softplus(tf.sub(wrong, right))) as tf.Scalar;
    }
  });
}

/** The generator's loss on the same logits (real logits matter only for the relativistic form). */
export function generatorLoss(kind: AdversarialKind, fake: tf.Tensor1D, real?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    switch (kind) {
      case "hinge":
        return tf.neg(tf.mean(fake)) as tf.Scalar;
      case "non_saturating":
        return tf.mean(softplus(tf.neg(fake))) as tf.Scalar;
      case "relativistic":
        if (!real) throw new Error("the relativistic generator loss needs the real logits");
        return tf.mean(softplus(tf.sub(real, fake))) as tf.Scalar;
    }
  });
}

export { EQUILIBRIUM } from "../equilibrium.js";
