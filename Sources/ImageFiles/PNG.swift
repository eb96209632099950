import FileIO
import Foundation

/// PNG files (ISO/IEC 15948): 8-bit images out; non-interlaced images of every colour type and
/// bit depth in, with every chunk's CRC checked.
public enum PNG {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Writes `image` to `path` atomically (a complete file or none).
  public static func write(_ image: Image, to path: String) throws {
    try FileIO.writeAtomically(Data(encode(image)), to: path)
  }

  /// Reads the PNG at `path`.
  ///
  /// - Throws: `FileError` naming the file: not a PNG, truncated, a bad CRC, an unsupported kind.
  public static func read(_ path: String) throws -> Image {
    let data = try FileIO.read(path)
    do {
      return try decode(Array(data))
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// Why bytes are not a PNG this decoder reads.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  // MARK: - Encoding

  /// The PNG file of an 8-bit image, each row filtered with the filter that minimizes the sum
  /// of absolute differences (libpng's heuristic).
  public static func encode(_ image: Image) -> [UInt8] {
    let colourType: UInt8 = [1: 0, 2: 4, 3: 2, 4: 6][image.channels]!
    let stride = image.width * image.channels
    var filtered = [UInt8]()
    filtered.reserveCapacity((stride + 1) * image.height)
    let zeros = [UInt8](repeating: 0, count: stride)
    image.pixels.withUnsafeBufferPointer { pixels in
      var candidates = [[UInt8]](repeating: [UInt8](repeating: 0, count: stride), count: 5)
      for row in 0..<image.height {
        let current = Array(pixels[(row * stride)..<((row + 1) * stride)])
        let above = row == 0 ? zeros : Array(pixels[((row - 1) * stride)..<(row * stride)])
        var best = 0, bestCost = Int.max
        for filter in 0..<5 {
          for i in 0..<stride {
            let left = i >= image.channels ? current[i - image.channels] : 0
            let upperLeft = i >= image.channels ? above[i - image.channels] : 0
            candidates[filter][i] = current[i] &- predictor(filter, left: left, up: above[i], upperLeft: upperLeft)
          }
          let cost = candidates[filter].reduce(0) { $0 + Int(Int8(bitPattern: $1).magnitude) }
          if cost < bestCost { (best, bestCost) = (filter, cost) }
        }
        filtered.append(UInt8(best))
        filtered.append(contentsOf: candidates[best])
      }
    }
    var header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
    header += [8, colourType, 0, 0, 0]  // bit depth, colour type, compression, filter, interlace
    return signature + chunk("IHDR", header) + chunk("IDAT", Zlib.deflate(filtered, level: 9)) + chunk("IEND", [])
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(Zlib.crc32(typeBytes + data))
  }

  static func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

  /// The value PNG filter `filter` predicts for a byte from its neighbours.
  @inline(__always)
  static func predictor(_ filter: Int, left: UInt8, up: UInt8, upperLeft: UInt8) -> UInt8 {
    switch filter {
    case 1: return left
    case 2: return up
    case 3: return UInt8((Int(left) + Int(up)) / 2)
    case 4:
      let p = Int(left) + Int(up) - Int(upperLeft)
      let pa = abs(p - Int(left)), pb = abs(p - Int(up)), pc = abs(p - Int(upperLeft))
      return pa <= pb && pa <= pc ? left : (pb <= pc ? up : upperLeft)
    default: return 0
    }
  }

  // MARK: - Decoding

  /// The image in a PNG file's bytes, converted to 8 bits per sample (16-bit samples keep their
  /// high byte; palettes expand to RGB, or RGBA with transparency).
  ///
  /// - Throws: `PNG.Problem` saying what is wrong; images larger than `Image.maximumPixels` are
  ///   refused from their header, before any data is inflated.
  public static func decode(_ bytes: [UInt8]) throws -> Image {
    let (rows, header, samplesPerPixel, palette, transparency) = try decodeRows(bytes)
    return try expand(rows, header: header, samplesPerPixel: samplesPerPixel, palette: palette, transparency: transparency)
  }

  /// An image with 16-bit samples, as a 16-bit PNG holds them: `height · width · channels`
  /// samples 0...65535, row-major, channels interleaved.
  public struct WideImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var samples: [UInt16]
  }

  /// The image in a PNG file's bytes at its own depth: 8-bit (and lower) images as `Image`,
  /// 16-bit ones as `WideImage`, so no precision is lost.
  public static func decodeKeepingDepth(_ bytes: [UInt8]) throws -> Result<Image, WideImage> {
    let (rows, header, samplesPerPixel, palette, transparency) = try decodeRows(bytes)
    guard header.depth == 16 else {
      return .narrow(try expand(rows, header: header, samplesPerPixel: samplesPerPixel, palette: palette, transparency: transparency))
    }
    let stride = rows.count / header.height, count = header.width * samplesPerPixel
    var samples = [UInt16](repeating: 0, count: count * header.height)
    for row in 0..<header.height {
      for index in 0..<count {
        samples[row * count + index] = UInt16(rows[row * stride + 2 * index]) << 8 | UInt16(rows[row * stride + 2 * index + 1])
      }
    }
    return .wide(WideImage(width: header.width, height: header.height, channels: samplesPerPixel, samples: samples))
  }

  /// An image at 8 bits (`narrow`) or 16 bits (`wide`) per sample.
  public enum Result<Narrow, Wide> {
    case narrow(Narrow)
    case wide(Wide)
  }

  typealias Header = (width: Int, height: Int, depth: Int, colourType: Int)

  /// The unfiltered rows of a PNG file's bytes, with what `expand` needs.
  static func decodeRows(_ bytes: [UInt8]) throws -> (rows: [UInt8], header: Header, samplesPerPixel: Int, palette: [UInt8], transparency: [UInt8]) {
    guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw Problem("not a PNG file (bad signature)") }
    var offset = 8
    var header: (width: Int, height: Int, depth: Int, colourType: Int)?
    var palette: [UInt8] = [], transparency: [UInt8] = [], compressed: [UInt8] = []
    var ended = false
    while !ended {
      guard offset + 12 <= bytes.count else { throw Problem("truncated: a chunk header runs past the end of the file") }
      let length = Int(readUInt32(bytes, offset))
      guard length <= bytes.count - offset - 12 else { throw Problem("truncated: a chunk of \(length) bytes runs past the end of the file") }
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
      guard readUInt32(bytes, offset + 8 + length) == Zlib.crc32(bytes[(offset + 4)..<(offset + 8 + length)]) else {
        throw Problem("corrupt: CRC mismatch in the \(type) chunk")
      }
      offset += 12 + length
      switch type {
      case "IHDR":
        guard length == 13 else { throw Problem("corrupt: IHDR chunk of \(length) bytes") }
        let width = Int(readUInt32(data, 0)), height = Int(readUInt32(data, 4))
        let depth = Int(data[8]), colourType = Int(data[9])
        guard width > 0, height > 0 else { throw Problem("corrupt: image size \(width)×\(height)") }
        if let problem = Image.sizeProblem(width: width, height: height) { throw Problem("unsupported size: \(problem)") }
        guard [1, 2, 4, 8, 16].contains(depth), [0, 2, 3, 4, 6].contains(colourType) else {
          throw Problem("corrupt: bit depth \(depth) with colour type \(colourType)")
        }
        guard data[10] == 0, data[11] == 0 else { throw Problem("corrupt: unknown compression or filter method") }
        guard data[12] == 0 else { throw Problem("interlaced PNGs are not supported; save it without interlacing") }
        header = (width, height, depth, colourType)
      case "PLTE": palette = data
      case "tRNS": transparency = data
      case "IDAT": compressed += data
      case "IEND": ended = true
      default: break
      }
    }
    guard let header else { throw Problem("corrupt: no IHDR chunk") }
    guard !compressed.isEmpty else { throw Problem("corrupt: no image data") }
    let samplesPerPixel = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][header.colourType]!
    let bitsPerPixel = samplesPerPixel * header.depth
    let stride = (header.width * bitsPerPixel + 7) / 8
    let expected = (stride + 1) * header.height
    let raw: [UInt8]
    do {
      raw = try Zlib.inflate(Data(compressed), limit: expected)
    } catch {
      throw Problem("corrupt image data: \(error)")
    }
    guard raw.count == expected else { throw Problem("truncated: image data holds \(raw.count) of \(expected) bytes") }
    let rows = try unfilter(raw, stride: stride, height: header.height, bytesPerPixel: max(1, bitsPerPixel / 8))
    return (rows, header, samplesPerPixel, palette, transparency)
  }

  static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
  }

  static func unfilter(_ raw: [UInt8], stride: Int, height: Int, bytesPerPixel: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: stride * height)
    try raw.withUnsafeBufferPointer { raw in
      try out.withUnsafeMutableBufferPointer { out in
        let (source, target) = (raw.baseAddress!, out.baseAddress!)
        for row in 0..<height {
          let filter = Int(source[row * (stride + 1)])
          guard filter <= 4 else { throw Problem("corrupt: unknown filter type \(filter) in row \(row)") }
          let input = source + row * (stride + 1) + 1, line = target + row * stride
          let previous: UnsafeMutablePointer<UInt8>? = row > 0 ? line - stride : nil
          switch (filter, previous) {
          case (0, _), (2, nil):
            line.update(from: input, count: stride)
          case (1, _), (4, nil):  // Paeth with no row above is Sub
            for i in 0..<stride { line[i] = input[i] &+ (i >= bytesPerPixel ? line[i - bytesPerPixel] : 0) }
          case (2, let up?):
            for i in 0..<stride { line[i] = input[i] &+ up[i] }
          default:
            for i in 0..<stride {
              let left = i >= bytesPerPixel ? line[i - bytesPerPixel] : 0
              let up = previous?[i] ?? 0
              let upperLeft = i >= bytesPerPixel ? previous?[i - bytesPerPixel] ?? 0 : 0
              line[i] = input[i] &+ predictor(filter, left: left, up: up, upperLeft: upperLeft)
            }
          }
        }
      }
    }
    return out
  }

  /// Unpacks samples to 8 bits and palettes to RGB(A).
  static func expand(_ rows: [UInt8], header: (width: Int, height: Int, depth: Int, colourType: Int),
                     samplesPerPixel: Int, palette: [UInt8], transparency: [UInt8]) throws -> Image {
    let (width, height, depth) = (header.width, header.height, header.depth)
    let stride = rows.count / height
    // 8-bit rows are the samples already (their stride is width · samples per pixel).
    var samples = depth == 8 ? rows : []
    samples.reserveCapacity(width * height * samplesPerPixel)
    for row in 0..<height where depth != 8 {
      let base = row * stride
      for index in 0..<(width * samplesPerPixel) {
        switch depth {
        case 16: samples.append(rows[base + 2 * index])
        case 8: samples.append(rows[base + index])
        default:
          let bit = index * depth
          let value = (rows[base + bit / 8] >> UInt8(8 - depth - bit % 8)) & UInt8((1 << depth) - 1)
          // Gray levels scale to 0...255; palette indices stay indices.
          samples.append(header.colourType == 3 ? value : UInt8(Int(value) * 255 / ((1 << depth) - 1)))
        }
      }
    }
    guard header.colourType == 3 else {
      return Image(width: width, height: height, channels: samplesPerPixel, pixels: samples)
    }
    guard !palette.isEmpty, palette.count % 3 == 0 else { throw Problem("corrupt: a palette image without a valid PLTE chunk") }
    let entries = palette.count / 3
    let channels = transparency.isEmpty ? 3 : 4
    var pixels = [UInt8]()
    pixels.reserveCapacity(samples.count * channels)
    for index in samples {
      guard Int(index) < entries else { throw Problem("corrupt: palette index \(index) of \(entries) entries") }
      pixels += palette[(3 * Int(index))..<(3 * Int(index) + 3)]
      if channels == 4 { pixels.append(Int(index) < transparency.count ? transparency[Int(index)] : 255) }
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }
}
