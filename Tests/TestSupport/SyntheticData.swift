import Datasets
import TensorCore

/// Small images with real structure: each is a blend of a few smooth "strokes" from a fixed bank,
/// so a small code can represent them and a training run measurably learns in seconds.
public func syntheticImages(count: Int, side: Int = 8, seed: UInt64 = 1) -> ImageSet {
  var generator = SplitMix64(seed: seed)
  let size = side * side
  let bank = (0..<4).map { k -> [Float] in
    (0..<size).map { i in
      let (y, x) = (Float(i / side) / Float(side), Float(i % side) / Float(side))
      return 0.5 + 0.5 * Float.sin(4 * (x * Float(k + 1) + y * Float(3 - k)))  // smooth patterns in [0, 1]
    }
  }
  var bytes = [UInt8]()
  bytes.reserveCapacity(count * size)
  for _ in 0..<count {
    let weights = (0..<4).map { _ in generator.nextUnitFloat() }
    let total = weights.reduce(0, +)
    for i in 0..<size {
      let value = zip(weights, bank).reduce(Float(0)) { $0 + $1.0 * $1.1[i] } / total
      bytes.append(UInt8(max(0, min(255, (value * 255).rounded()))))
    }
  }
  return ImageSet(storage: .bytes(bytes), exampleShape: [side, side], labels: (0..<count).map { UInt8($0 % 10) }, source: "synthetic")
}

extension Float {
  fileprivate static func sin(_ x: Float) -> Float {
    // Enough for test patterns without Foundation: sin by its Taylor series after reduction.
    var r = x.truncatingRemainder(dividingBy: 2 * .pi)
    if r > .pi { r -= 2 * .pi } else if r < -.pi { r += 2 * .pi }
    let r2 = r * r
    return r * (1 - r2 / 6 * (1 - r2 / 20 * (1 - r2 / 42 * (1 - r2 / 72))))
  }
}
