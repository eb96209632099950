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
  /// Whether the payload was coded under the codec's context tables (`ContextTables`), which the
  /// density's estimate knows nothing of; nil for other models.
  public var contextTables: Bool?
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
    case estimatedBitsPerPixel = "estimated_bits_per_pixel", contextTables = "context_tables"
    case encodeImagesPerSecond = "encode_images_per_second", decodeImagesPerSecond = "decode_images_per_second"
  }
}

extension ImageCodec {
  /// Compresses `images` and times it: the file and its bytes.
  public func compressTimed(_ images: ImageSet, quantization: CodeQuantizer.Rule, names: [String]? = nil) throws
    -> (file: CompressedFile, bytes: [UInt8], seconds: Double)
  {
    try Self.timed { let file = try compress(images, quantization: quantization, names: names); return (file, try file.encoded()) }
  }

  /// Compresses images of several sizes (`compress(_:quantization:)`) and times it.
  public func compressTimed(_ groups: [(images: ImageSet, names: [String]?)], quantization: CodeQuantizer.Rule) throws
    -> (file: CompressedImages, bytes: [UInt8], seconds: Double)
  {
    try Self.timed { let file = try compress(groups, quantization: quantization); return (file, try file.encoded()) }
  }

  /// A file made by `make` and its bytes, with the seconds it took.
  private static func timed<File>(_ make: () throws -> (File, [UInt8])) rethrows -> (file: File, bytes: [UInt8], seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let (file, bytes) = try make()
    return (file, bytes, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  /// Decodes `bytes` (a file just made from `originals`) as `decompress` does, timed, and
  /// measures the decoded images against `originals`.
  public func report(originals: ImageSet, bytes: [UInt8], encodeSeconds: Double) throws -> CompressionReport {
    try report(originals: [originals], bytes: bytes, encodeSeconds: encodeSeconds)
  }

  /// The same for a file of several sizes: `originals` holds each section's images, in order.
  /// PSNR and SSIM are means over every image; MS-SSIM where every image is large enough.
  public func report(originals: [ImageSet], bytes: [UInt8], encodeSeconds: Double) throws -> CompressionReport {
    let start = DispatchTime.now().uptimeNanoseconds
    var file = try CompressedImages.decode(bytes)
    file.sections = try file.sections.map { try completed($0, path: "the compressed images") }
    precondition(file.sections.count == originals.count, "\(file.sections.count) sections for \(originals.count) sets of originals")
    let decodedSections = try file.sections.map { try decompressWithSymbols($0, path: "the compressed images") }
    let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    var psnr = 0.0, ssim = 0.0, pixels = 0, estimatedBits: Double? = model.bottleneck == nil ? nil : 0
    var multiscale: Double? = file.sections.allSatisfy { min($0.header.imageShape[0], $0.header.imageShape[1]) >= ImageQuality.multiscaleMinimumSide } ? 0 : nil
    for ((section, (decoded, symbols)), originals) in zip(zip(file.sections, decodedSections), originals) {
      let shape = section.header.imageShape
      let size = shape.reduce(1, *)
      decoded.withUnsafeBufferPointer { values in
        var written = [Float](repeating: 0, count: size)
        for index in 0..<section.header.count {
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
      pixels += section.header.count * shape[0] * shape[1]
      if let density = model.bottleneck, let total = estimatedBits {
        let codes = Tensor(shape: [section.header.count] + section.header.codeShape, scalars: symbols.map(Float.init))
        estimatedBits = total + withoutGradients { Double(density.bits(of: Variable(codes)).value.scalar) }
      }
    }
    let (images, count) = (file.count, Double(max(file.count, 1)))
    let perPixel = { (bits: Double) in bits / Double(max(pixels, 1)) }
    return CompressionReport(images: images, pixels: pixels, bytes: bytes.count, payloadBytes: file.payloadBytes,
                             bitsPerPixel: perPixel(Double(bytes.count * 8)), payloadBitsPerPixel: perPixel(Double(file.payloadBytes * 8)),
                             estimatedBitsPerPixel: estimatedBits.map(perPixel),
                             contextTables: model.bottleneck == nil ? nil
                               : file.sections.contains { contextTables(coding: $0.header.codeShape, tablesInModel: $0.header.tablesInModel) != nil },
                             psnr: psnr / count, ssim: ssim / count,
                             multiscaleSSIM: multiscale.map { $0 / count },
                             encodeImagesPerSecond: Double(images) / max(encodeSeconds, 1e-9),
                             decodeImagesPerSecond: Double(images) / max(decodeSeconds, 1e-9),
                             quantization: file.sections[0].header.quantization)
  }
}
