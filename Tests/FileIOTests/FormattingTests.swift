import FileIO
import Testing

@Suite struct FormattingTests {
  @Test func bytesAndDigits() {
    #expect(formatBytes(100) == "100 bytes")
    #expect(formatBytes(2048) == "2 KB")
    #expect(formatBytes(640 << 20) == "640 MB")
    #expect(formatBytes(3 << 29) == "1.5 GB")
    #expect(groupedDigits(16_777_216) == "16,777,216")
    #expect(groupedDigits(-1234) == "-1,234")
    #expect(groupedDigits(999) == "999")
  }
}
