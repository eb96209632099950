import Testing

@testable import Codec

struct CodeQuantizerTests {
  @Test func aStepRoundsToTheNearestMultiple() throws {
    let quantizer = CodeQuantizer(.step(0.5), codes: [], channels: 2)
    #expect(quantizer.origins == [0, 0] && quantizer.steps == [0.5, 0.5])
    let symbols = try quantizer.symbols([0.2, -0.3, 1.26, 0.75, 1e12, -1e12]).get()
    #expect(symbols == [0, -1, 3, 2, .max, -.max])  // 0.75 / 0.5 = 1.5 rounds to even; huge values clamp
    #expect(quantizer.values([0, -1, 3, 2]) == [0, -0.5, 1.5, 1])
  }

  @Test func bitsSpanEachChannelsRange() throws {
    // Channel 0 spans 1 to 4, channel 1 is constant.
    let codes: [Float] = [1, 7, 4, 7, 2.5, 7]
    let quantizer = CodeQuantizer(.bits(2), codes: codes, channels: 2)
    #expect(quantizer.origins == [1, 7] && quantizer.steps == [1, 1])  // (4 - 1) / 3 levels; a constant channel gets 1
    #expect(try quantizer.symbols(codes).get() == [0, 0, 3, 0, 2, 0])  // 1.5 rounds to even
    #expect(quantizer.values([0, 0, 3, 0, 2, 0]) == [1, 7, 4, 7, 3, 7])
    // The greatest value maps to the last level at any depth.
    for bits in 1...16 {
      let deep = CodeQuantizer(.bits(bits), codes: [-0.3, 0.9], channels: 1)
      #expect(try deep.symbols([-0.3, 0.9]).get() == [0, Int32((1 << bits) - 1)])
    }
  }

  @Test func nonFiniteCodesAreNamed() {
    let quantizer = CodeQuantizer(.step(1), codes: [], channels: 3)
    #expect(throws: NonFiniteCode(index: 4)) { try quantizer.symbols([0, 1, 2, 3, .nan, 5]).get() }
    #expect(throws: NonFiniteCode(index: 0)) { try quantizer.symbols([.infinity]).get() }
  }
}
