@testable import AutoencoderKit
import Foundation
import TestSupport
import Testing

@Suite struct GenerationTests {
  func model(latent: Int = 2) throws -> Autoencoder {
    var generator = SplitMix64(seed: 7)
    return try Autoencoder(.variational(inputSize: 16, hiddenSizes: [8], latent: latent), using: &generator)
  }

  @Test func samplesAreDecodedDrawsFixedBySeed() throws {
    let model = try model()
    let images = try model.sample(count: 5, seed: 3)
    #expect(images.shape == [5, 16])
    #expect(try model.sample(count: 5, seed: 3) == images && (try model.sample(count: 5, seed: 4)) != images)
    // Draw i is stream i of the seed, decoded.
    #expect(images.rows(2..<3) == model.decode(Tensor.randomNormal(rows: 1, columns: 2, seed: 3, firstRow: 2)))
    var generator = SplitMix64(seed: 1)
    let plain = try Autoencoder(.dense(inputSize: 16, hiddenSizes: [4]), using: &generator)
    #expect(throws: EvaluationError.notVariational("sampling")) { try plain.sample(count: 1, seed: 0) }
  }

  @Test func linearAndSphericalPaths() {
    let line = Autoencoder.interpolate(from: [0, 2], to: [4, -2], steps: 5)
    #expect(line == [[0, 2], [1, 1], [2, 0], [3, -1], [4, -2]])
    let arc = Autoencoder.interpolate(from: [1, 0], to: [0, 1], steps: 3, spherical: true)
    #expect(arc.first == [1, 0] && arc.last!.map { ($0 * 1e6).rounded() } == [0, 1e6])
    // Halfway along the great circle keeps the norm of the ends.
    #expect(abs(arc[1][0] - Float(0.5.squareRoot())) < 1e-6 && abs(arc[1][1] - Float(0.5.squareRoot())) < 1e-6)
  }

  @Test func theManifoldRunsOverNormalQuantiles() throws {
    #expect(abs(Autoencoder.normalQuantile(0.95) - 1.644_853_6) < 1e-6)
    #expect(abs(Autoencoder.normalQuantile(0.5)) < 1e-9)
    let model = try model(latent: 3)
    let (images, values) = try model.manifold(size: 4, dimensions: (2, 0))
    #expect(images.shape == [16, 16] && values.count == 4)
    #expect(abs(values[0] + 1.644_853_6) < 1e-6 && abs(values[3] - 1.644_853_6) < 1e-6)
    // The top-left image is z = (largest, 0, smallest): dimension 0 runs down (largest first), 2 across.
    let corner = model.decode(Tensor(shape: [1, 3], scalars: [Float(values[3]), 0, Float(values[0])]))
    expectClose(images.rows(0..<1), corner, rtol: 1e-5, atol: 1e-6)
    #expect(throws: ManifoldError.dimensions((0, 3), latent: 3)) { try model.manifold(size: 4, dimensions: (0, 3)) }
  }

  @Test func aVariationalModelsCodesAreItsMeans() throws {
    let model = try model()
    let set = ImageSet(storage: .floats((0..<48).map { Float($0 % 5) / 4 }), exampleShape: [16], source: "test")
    let (mean, logVariance) = try model.encodeDistribution(set)
    #expect(try model.encode(set) == mean && logVariance.shape == [3, 2])
    let samples = try model.encodeSamples(set, seed: 1)
    #expect(samples != mean && samples.shape == [3, 2])
    #expect(try model.encodeSamples(set, seed: 1) == samples)
  }
}
