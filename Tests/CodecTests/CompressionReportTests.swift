import Foundation
import Datasets
import ImageFiles
import NN
import TensorCore
import TestSupport
import Testing
import Training

@testable import Codec

struct CompressionReportTests {
  @Test func ratesCountTheFileAndDistortionsTheWrittenImages() throws {
    var generator = SplitMix64(seed: 5)
    let model = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [6]), using: &generator)
    let codec = ImageCodec(model: model, modelName: "m")
    let images = syntheticImages(count: 12, side: 8)
    let (file, bytes, seconds) = try codec.compressTimed(images, quantization: .bits(6))
    let report = try codec.report(originals: images, bytes: bytes, encodeSeconds: seconds)
    #expect(report.images == 12 && report.pixels == 12 * 64 && report.bytes == bytes.count && report.payloadBytes == file.payload.count)
    #expect(report.bitsPerPixel == Double(bytes.count * 8) / Double(12 * 64))
    #expect(report.payloadBitsPerPixel == Double(file.payload.count * 8) / Double(12 * 64))
    #expect(report.quantization == "6 bits per value" && report.encodeImagesPerSecond > 0 && report.decodeImagesPerSecond > 0)
    // PSNR and SSIM by hand, on the decoded images rounded to bytes.
    let decoded = try codec.decompress(file, path: "f").scalars.map { Float(Image.byte($0)) / 255 }
    var psnr = 0.0, ssim = 0.0
    for index in 0..<12 {
      let image = Array(decoded[(index * 64)..<((index + 1) * 64)]), original = images.example(index)
      let mse = zip(image, original).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / 64
      psnr += 10 * log10(1 / mse)
      ssim += image.withUnsafeBufferPointer { a in original.withUnsafeBufferPointer { b in ImageQuality.ssim(a, b, height: 8, width: 8, channels: 1) } }
    }
    #expect(abs(report.psnr - psnr / 12) < 1e-6, "\(report.psnr) \(psnr / 12)")
    #expect(abs(report.ssim - ssim / 12) < 1e-9, "\(report.ssim) \(ssim / 12)")
  }

  @Test func largeImagesGetMSSSIM() throws {
    var generator = SplitMix64(seed: 6)
    let model = try Autoencoder(try Architecture(spec: "conv 2 3 stride 2 relu, bottleneck | convt 1 3 stride 2 sigmoid", exampleShape: [8, 8]),
                                using: &generator)
    let codec = ImageCodec(model: model, modelName: "m")
    let images = syntheticImages(count: 2, side: 180, seed: 2)
    let (file, bytes, seconds) = try codec.compressTimed(images, quantization: .bits(8))
    let report = try codec.report(originals: images, bytes: bytes, encodeSeconds: seconds)
    let decoded = try codec.decompress(file, path: "f").scalars.map { Float(Image.byte($0)) / 255 }
    let expected = (0..<2).map { index in
      ImageQuality.multiscaleSSIM(Array(decoded[(index * 180 * 180)..<((index + 1) * 180 * 180)]), images.example(index), height: 180, width: 180, channels: 1)!
    }.reduce(0, +) / 2
    #expect(abs(try #require(report.multiscaleSSIM) - expected) < 1e-9)
    // Small images have none.
    let small = try codec.compressTimed(syntheticImages(count: 2, side: 8), quantization: .bits(8))
    #expect(try codec.report(originals: syntheticImages(count: 2, side: 8), bytes: small.bytes, encodeSeconds: 1).multiscaleSSIM == nil)
  }
}
