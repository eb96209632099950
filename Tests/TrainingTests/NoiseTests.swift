import TensorCore
import Testing
import Training

@Suite struct NoiseTests {
  let clean = Tensor(shape: [64, 100], repeating: 0.5)

  @Test func parsesNamesAndDefaults() {
    #expect(Noise("gaussian:0.3") == .gaussian(standardDeviation: 0.3))
    #expect(Noise("gaussian") == .gaussian(standardDeviation: 0.5))
    #expect(Noise("salt-and-pepper") == .saltAndPepper(fraction: 0.1))
    #expect(Noise("masking:0.4") == .masking(fraction: 0.4))
    for bad in ["gaussian:-1", "gaussian:nan", "masking:1.5", "blur", "gaussian:x", ""] { #expect(Noise(bad) == nil, "\(bad)") }
    #expect(Noise(Noise.saltAndPepper(fraction: 0.2).description) == .saltAndPepper(fraction: 0.2))
  }

  @Test func gaussianNoiseHasTheRequestedSpreadAndIsClipped() {
    let noisy = Noise.gaussian(standardDeviation: 0.1).corrupt(clean, seed: 1).scalars
    let mean = noisy.reduce(0, +) / Float(noisy.count)
    let deviation = (noisy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(noisy.count)).squareRoot()
    #expect(abs(mean - 0.5) < 0.01 && abs(deviation - 0.1) < 0.005)
    let wide = Noise.gaussian(standardDeviation: 2).corrupt(clean, seed: 1).scalars
    #expect(wide.allSatisfy { (0...1).contains($0) } && wide.filter { $0 == 0 }.count > 1000)
  }

  @Test func saltAndPepperAndMaskingHitTheirFractions() {
    let salted = Noise.saltAndPepper(fraction: 0.2).corrupt(clean, seed: 2).scalars
    let (zeros, ones) = (salted.filter { $0 == 0 }.count, salted.filter { $0 == 1 }.count)
    #expect(abs(Double(zeros) / 6400 - 0.1) < 0.02 && abs(Double(ones) / 6400 - 0.1) < 0.02)
    #expect(salted.allSatisfy { $0 == 0 || $0 == 1 || $0 == 0.5 })
    let masked = Noise.masking(fraction: 0.25).corrupt(clean, seed: 3).scalars
    #expect(abs(Double(masked.filter { $0 == 0 }.count) / 6400 - 0.25) < 0.02)
  }

  @Test func theSameSeedGivesTheSameNoiseWhateverTheBatchingAndThreads() {
    let big = Tensor(shape: [1000, 100], repeating: 0.5)
    let whole = Parallel.withThreads(1) { Noise.gaussian(standardDeviation: 0.5).corrupt(big, seed: 9).scalars }
    let threaded = Parallel.withThreads(4) { Noise.gaussian(standardDeviation: 0.5).corrupt(big, seed: 9).scalars }
    #expect(whole == threaded)
    // The second half on its own, numbered from 500, is the second half of the whole.
    let half = Tensor(shape: [500, 100], repeating: 0.5)
    #expect(Noise.gaussian(standardDeviation: 0.5).corrupt(half, seed: 9, firstExample: 500).scalars == Array(whole[50_000...]))
    #expect(Noise.gaussian(standardDeviation: 0.5).corrupt(half, seed: 10, firstExample: 500).scalars != Array(whole[50_000...]))
  }
}
