import AutoencoderKit
import Foundation
import TestSupport
import Testing

struct RateDistortionFigureTests {
  @Test func readsCurvesByCodecAndMeasuresThemAgainstTheAnchor() throws {
    let work = try TemporaryDirectory()
    var lines = ["codec,bits_per_pixel,psnr,ssim,encode_images_per_second"]
    for (rate, psnr) in [(0.5, 24.0), (1.0, 28.5), (2.0, 33.0), (4.0, 37.2)] {
      lines.append("jpeg,\(rate),\(psnr),\(psnr / 40),100")
      lines.append("ours,\(rate * 0.75),\(psnr),\(psnr / 40),50")
    }
    let path = try work.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: "points.csv")
    let figure = RateDistortionFigure(curves: try RateDistortionFigure.curves(fromCSV: path), subject: "test images")
    #expect(figure.curves.map(\.codec) == ["jpeg", "ours"] && figure.curves[1].points.count == 4)
    let deltas = figure.deltaRates(against: "jpeg")
    #expect(deltas.count == 1 && deltas[0].codec == "ours")
    let (psnr, ssim) = (try #require(deltas[0].psnr), try #require(deltas[0].ssim))
    #expect(abs(psnr + 0.25) < 1e-9 && abs(ssim + 0.25) < 1e-9)
    let image = figure.render(width: 500, height: 360)
    #expect(image.width == 1000 && image.height == 360 && image.channels == 3)
  }

  @Test func aMissingColumnOrBadRateIsNamed() throws {
    let work = try TemporaryDirectory()
    let noSSIM = try work.write(Array("codec,bits_per_pixel,psnr\njpeg,1,30\n".utf8), to: "a.csv")
    #expect(throws: FileError(noSSIM, "has no ssim column (columns: codec, bits_per_pixel, psnr, ssim)")) { try RateDistortionFigure.curves(fromCSV: noSSIM) }
    let zero = try work.write(Array("codec,bits_per_pixel,psnr,ssim\njpeg,0,30,0.9\n".utf8), to: "b.csv")
    #expect(throws: FileError(zero, "row 2: a rate that is not positive, or a quality that is not a number")) { try RateDistortionFigure.curves(fromCSV: zero) }
  }
}
