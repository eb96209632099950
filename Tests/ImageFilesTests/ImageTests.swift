@testable import ImageFiles
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

@Suite struct CanvasTests {
  @Test func textIsDrawnFromTheFontAndImagesArePasted() {
    var canvas = Canvas(width: 20, height: 9)
    canvas.draw("1", x: 1, y: 1)
    // "1": the top row of its glyph is "..#..", so one dark pixel at column 1 + 2.
    #expect((0..<20).filter { canvas.intensities[1 * 20 + $0] == 0 } == [3])
    #expect(Canvas.width(of: "-0.5") == 4 * 6 - 1 && Canvas.width(of: "ab", scale: 2) == 22 && Canvas.lineHeight(scale: 3) == 21)
    canvas.paste(Image(width: 2, height: 2, intensities: [0.5, 0.5, 0.5, 0.5]), x: 18, y: 8)  // clipped at the corner
    #expect(abs(canvas.intensities[8 * 20 + 18] - 0.5) < 0.01 && abs(canvas.intensities[8 * 20 + 19] - 0.5) < 0.01)
    #expect(Canvas.glyphs.values.allSatisfy { $0.count == 7 && $0.allSatisfy { $0.count == 5 } })
    #expect(canvas.image.width == 20 && canvas.image.pixels[1 * 20 + 3] == 0 && canvas.image.pixels[0] == 255)
  }
}
