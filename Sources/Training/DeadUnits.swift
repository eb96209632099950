import Datasets
import NN
import TensorCore

/// A relu layer's dead units on a data set: units (a dense layer's outputs, a convolution's
/// filters) whose output is zero for every example at every position. Nothing flows through a dead
/// unit and no gradient reaches its weights, so it has stopped learning for good; many of them in
/// a narrow layer cap what a model can learn (keras-io's convolutional VAE, whose 16-unit dense
/// layer kept 0 to 7 after one epoch over forty runs, in Keras as here; README).
public struct DeadUnits: Sendable, Equatable, Codable {
  /// The layer's parameter prefix ("encoder.3").
  public var layer: String
  /// The layer's units.
  public var units: Int
  /// How many of them are zero on every example.
  public var dead: Int

  public init(layer: String, units: Int, dead: Int) {
    (self.layer, self.units, self.dead) = (layer, units, dead)
  }

  /// `14 of 16 in encoder.3`.
  public var summary: String { "\(dead) of \(units) in \(layer)" }
}

extension Autoencoder {
  /// Every relu layer's dead units on `set`, in the order the layers run (those with none
  /// included); empty for a model with no relu layer and for a token model.
  ///
  /// - Throws: `DataError` when the set does not fit the model.
  public func deadUnits(on set: ImageSet, batchSize: Int = 1024) throws -> [DeadUnits] {
    guard architecture.vocabulary == nil else { return [] }
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: architecture)
    var layers: [String] = [], fired: [String: [UInt8]] = [:]  // 1 where a unit was above zero
    for index in 0..<batches.count {
      _ = reconstruct(batches.batch(index)) { name, layer, output in
        guard (layer as? any ActivatedLayer)?.activation == .relu, let units = output.shape.last, units > 0 else { return }
        if fired[name] == nil { (layers, fired[name]) = (layers + [name], [UInt8](repeating: 0, count: units)) }
        output.withUnsafeBufferPointer { values in
          fired[name]!.withUnsafeMutableBufferPointer { fired in
            // Row by row, a branch-free loop over the units (it vectorizes).
            for row in stride(from: 0, to: values.count, by: units) {
              for unit in 0..<units { fired[unit] |= values[row + unit] > 0 ? 1 : 0 }
            }
          }
        }
      }
    }
    return layers.map { DeadUnits(layer: $0, units: fired[$0]!.count, dead: fired[$0]!.filter { $0 == 0 }.count) }
  }
}
