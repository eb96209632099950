import Autodiff
import Datasets
import Dispatch
import ImageFiles
import TensorCore
import Training

/// What a compression run achieved: rate, distortion and speed, for one quantization.
///
/// Rates count the whole file (header, tables and checksum included) and the payload alone;
/// distortions are those of the decoded images as written (rounded to 8 bits), averaged over
/// images (PSNR per image, as CompressAI reports it).
public struct CompressionReport: Codable, Equatable, Sendable {
  public var images: Int
  public var pixels: Int
  public var bytes: Int
  public var payloadBytes: Int
  /// File bits per pixel (a pixel is one position of all its channels).
  public var bitsPerPixel: Double
  public var payloadBitsPerPixel: Double
  /// A rate-trained codec's own estimate of the rate: its density's bits for the rounded codes,
  /// per pixel (what `val_rate` reports in training); nil for other models.
  public var estimatedBitsPerPixel: Double?
  /// Mean PSNR in dB of the decoded images (peak 1).
  public var psnr: Double
  /// Mean SSIM (`ImageQuality.ssim`).
  public var ssim: Double
  /// Mean MS-SSIM (`ImageQuality.multiscaleSSIM`), for images of at least 176 pixels a side; else nil.
  public var multiscaleSSIM: Double?
  /// Images per second through encoder, quantizer and entropy coder; and back.
  public var encodeImagesPerSecond: Double
  public var decodeImagesPerSecond: Double
  public var quantization: String

  enum CodingKeys: String, CodingKey {
    case images, pixels, bytes, quantization, psnr, ssim, multiscaleSSIM = "ms_ssim"
    case payloadBytes = "payload_bytes", bitsPerPixel = "bits_per_pixel", payloadBitsPerPixel = "payload_bits_per_pixel"
    case estimatedBitsPerPixel = "estimated_bits_per_pixel"
    case encodeImagesPerSecond = "encode_images_per_second", decodeImagesPerSecond = "decode_images_per_second"
  }
}

extension ImageCodec {
  /// Compresses `images` and times it: the file and its bytes.
  public func compressTimed(_ images: ImageSet, quantization: CodeQuantizer.Rule, names: [String]? = nil) throws
    -> (file: CompressedFile, bytes: [UInt8], seconds: Double)
  {
    let start = DispatchTime.now().uptimeNanoseconds
    let file = try compress(images, quantization: quantization, names: names)
    let bytes = try file.encoded()
    return (file, bytes, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  /// Decodes `bytes` (a file just made from `originals`) as `decompress` does, timed, and
  /// measures the decoded images against `originals`.
  public func report(originals: ImageSet, bytes: [UInt8], encodeSeconds: Double) throws -> CompressionReport {
    let start = DispatchTime.now().uptimeNanoseconds
    let file = try CompressedFile.decode(bytes)
    let (decoded, symbols) = try decompressWithSymbols(file, path: "the compressed images")
    let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let shape = file.header.imageShape
    let size = shape.reduce(1, *)
    var psnr = 0.0, ssim = 0.0, multiscale: Double? = min(shape[0], shape[1]) >= ImageQuality.multiscaleMinimumSide ? 0 : nil
    decoded.withUnsafeBufferPointer { values in
      var written = [Float](repeating: 0, count: size)
      for index in 0..<file.header.count {
        for value in 0..<size { written[value] = Float(Image.byte(values[index * size + value])) / 255 }
        let original = originals.unscaledExample(index)
        written.withUnsafeBufferPointer { image in
          original.withUnsafeBufferPointer { reference in
            psnr += ImageQuality.psnr(image, reference)
            ssim += ImageQuality.ssim(image, reference, height: shape[0], width: shape[1], channels: shape[2])
          }
        }
        if let total = multiscale {
          multiscale = total + (ImageQuality.multiscaleSSIM(written, original, height: shape[0], width: shape[1], channels: shape[2]) ?? 0)
        }
      }
    }
    let count = max(file.header.count, 1)
    let pixels = file.header.count * shape[0] * shape[1]
    var estimate: Double?
    if let density = model.bottleneck {
      let codes = Tensor(shape: [file.header.count] + file.header.codeShape, scalars: symbols.map(Float.init))
      estimate = withoutGradients { Double(density.bits(of: Variable(codes)).value.scalar) } / Double(max(pixels, 1))
    }
    return CompressionReport(images: file.header.count, pixels: pixels, bytes: bytes.count, payloadBytes: file.payload.count,
                             bitsPerPixel: Double(bytes.count * 8) / Double(max(pixels, 1)),
                             payloadBitsPerPixel: Double(file.payload.count * 8) / Double(max(pixels, 1)), estimatedBitsPerPixel: estimate,
                             psnr: psnr / Double(count), ssim: ssim / Double(count), multiscaleSSIM: multiscale.map { $0 / Double(count) },
                             encodeImagesPerSecond: Double(file.header.count) / max(encodeSeconds, 1e-9),
                             decodeImagesPerSecond: Double(file.header.count) / max(decodeSeconds, 1e-9),
                             quantization: file.header.quantization)
  }
}
