import Optimizers
import Testing

/// Reference values: scripts/reference/keras_optimizers.py with Keras 3.15.1.
@Suite struct RMSPropTests {
  @Test func matchesKerasWithDefaults() {
    ReferenceProblem.expectMatches(RMSProp(), [
      [0.496837735, -1.00316226, 1.99683774, 0.00316227716],
      [0.494461328, -1.00367284, 1.99995172, 0.0056936536],
      [0.494075477, -1.00154114, 2.00246906, 0.00644866982],
      [0.495871007, -0.999425232, 2.00322008, 0.00483822264],
      [0.497781813, -0.998788655, 2.001616, 0.00285020424],
    ])
  }

  @Test func matchesKerasWithMomentum() {
    ReferenceProblem.expectMatches(RMSProp(learningRate: 0.01, momentum: 0.9), [
      [0.468377322, -1.03162277, 1.96837759, 0.0316227674],
      [0.416152775, -1.06518865, 1.9710567, 0.08539702],
      [0.365292132, -1.07408082, 1.99864054, 0.141344011],
      [0.337472707, -1.06092477, 2.03097653, 0.175591826],
      [0.331543267, -1.04271841, 2.04403734, 0.186534673],
    ])
  }
}
