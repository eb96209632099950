import Testing

@testable import FileIO

struct ByteWritingTests {
  @Test func littleEndianAndVarintBytesByHand() {
    var bytes: [UInt8] = []
    bytes.appendLittleEndian(0x0102_0304_0506, count: 4)
    #expect(bytes == [0x06, 0x05, 0x04, 0x03])
    bytes = []
    for value: UInt64 in [0, 127, 128, 300, 1 << 35] { bytes.appendVarint(value) }
    // 300 = 0b10_0101100: 0xAC (the low 7 bits and the next flag), then 0x02; 2³⁵ takes 6 bytes.
    #expect(bytes == [0x00, 0x7F, 0x80, 0x01, 0xAC, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
  }
}
