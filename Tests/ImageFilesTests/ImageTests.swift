import ImageFiles
import Testing

@Suite struct ImageTests {
  @Test func intensitiesRoundAndClampToBytes() {
    #expect([Float(-1), 0, 0.5, 1, 2, .nan, .infinity].map(Image.byte) == [0, 0, 128, 255, 255, 0, 255])
  }

  @Test func grayIntensitiesUseRec601LumaAndDropAlpha() {
    let rgba = Image(width: 1, height: 1, channels: 4, pixels: [255, 0, 0, 7])
    #expect(abs(rgba.grayIntensities[0] - 0.299) < 1e-6)
    #expect(Image(width: 1, height: 1, channels: 2, pixels: [51, 0]).grayIntensities == [0.2])
  }

  @Test func sizeLimits() {
    #expect(Image.sizeProblem(width: 4096, height: 4096) == nil)
    #expect(Image.sizeProblem(width: 16384, height: 1024) == nil)
    #expect(Image.sizeProblem(width: 16385, height: 1) != nil)
    #expect(Image.sizeProblem(width: 4097, height: 4096) != nil)
  }
}
