import FileIO
import ImageFiles
import Foundation

/// IDX files, the format of MNIST, Fashion-MNIST and KMNIST (http://yann.lecun.com/exdb/mnist/):
/// a 4-byte magic number (0, 0, type, rank), `rank` big-endian 32-bit sizes, then the data.
/// Files may be gzip-compressed (detected from the content, not the name).
public enum IDX {
  /// An IDX array of unsigned bytes.
  public struct Array: Equatable, Sendable {
    /// The sizes: `[60000, 28, 28]` for an image file, `[60000]` for labels.
    public let shape: [Int]
    /// The bytes, row-major.
    public let bytes: [UInt8]

    public init(shape: [Int], bytes: [UInt8]) {
      precondition(bytes.count == shape.reduce(1, *), "\(bytes.count) bytes for shape \(shape)")
      self.shape = shape
      self.bytes = bytes
    }
  }

  /// Reads an IDX file of unsigned bytes (type 0x08) at `path`.
  ///
  /// - Parameter rank: The rank the caller expects (3 for images, 1 for labels), checked
  ///   against the magic number.
  /// - Throws: `FileError` naming the file: missing, not IDX, wrong rank, truncated, corrupt gzip,
  ///   images larger than the tool reads.
  public static func read(_ path: String, rank: Int) throws -> Array {
    do {
      return try decode(try FileIO.read(path), rank: rank)
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// What is wrong with an IDX file's bytes.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
  }

  /// The array in an IDX file's bytes, raw or gzip'd. A gzip'd file's header is inflated first
  /// and its sizes checked, so the rest is inflated only up to the size the header declares.
  ///
  /// - Throws: `IDX.Problem` saying what is wrong.
  public static func decode(_ bytes: [UInt8], rank: Int) throws -> Array {
    try decode(Data(bytes), rank: rank)
  }

  /// As `decode(_:rank:)`, from `Data` without copying it first (a file's bytes).
  static func decode(_ data: Data, rank: Int) throws -> Array {
    guard data.starts(with: [0x1f, 0x8b]) else {
      let (shape, headerSize) = try header([UInt8](data.prefix(4 + 4 * rank)), rank: rank)
      return try array([UInt8](data), shape: shape, headerSize: headerSize)
    }
    let inflated: [UInt8]
    do {
      let (shape, headerSize) = try header(try Zlib.inflatePrefix(data, count: 4 + 4 * rank), rank: rank)
      // One byte over the declared size is enough to tell trailing bytes from none.
      inflated = try Zlib.inflate(data, limit: headerSize + shape.reduce(1, *) + 1)
    } catch let error as Zlib.InflateError {
      if case .tooLarge = error { throw Problem(description: "corrupt: more data than the header describes (gzip)") }
      throw Problem(description: "\(error) (gzip)")
    }
    let (shape, headerSize) = try header(inflated, rank: rank)
    return try array(inflated, shape: shape, headerSize: headerSize)
  }

  /// The sizes an IDX header declares, checked: the magic number, the rank, and for images
  /// (rank 3) sides within `Image.maximumSide` and `Image.maximumPixels`.
  static func header(_ bytes: [UInt8], rank: Int) throws -> (shape: [Int], size: Int) {
    guard bytes.count >= 4 else { throw Problem(description: "not an IDX file (\(bytes.count) bytes, shorter than a header)") }
    let magic = bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    guard bytes[0] == 0, bytes[1] == 0, bytes[3] >= 1 else {
      throw Problem(description: "not an IDX file (magic number 0x\(String(magic, radix: 16, uppercase: true)))")
    }
    guard bytes[2] == 0x08 else {
      throw Problem(description: "IDX element type 0x\(String(bytes[2], radix: 16, uppercase: true)) is not supported (only unsigned bytes, 0x08)")
    }
    guard Int(bytes[3]) == rank else {
      let expected = String(format: "0x%08X", 0x800 + rank)
      throw Problem(description: "magic number 0x\(String(format: "%08X", magic)) is a rank-\(bytes[3]) IDX file; expected \(expected) (rank \(rank))")
    }
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else { throw Problem(description: "truncated: the header needs \(headerSize) bytes, the file has \(bytes.count)") }
    let shape = (0..<rank).map { d in Int(bytes[(4 + 4 * d)..<(8 + 4 * d)].reduce(0) { $0 << 8 | UInt32($1) }) }
    if rank == 3, let problem = Image.sizeProblem(width: shape[2], height: shape[1]) {
      throw Problem(description: "unsupported size: \(problem)")
    }
    guard let total = checkedProduct(shape), total <= 1 << 34 else {
      throw Problem(description: "corrupt: header sizes \(shape) are implausibly large")
    }
    _ = total
    return (shape, headerSize)
  }

  /// The array after a checked header: the data must be exactly what the header declares.
  static func array(_ bytes: consuming [UInt8], shape: [Int], headerSize: Int) throws -> Array {
    let expected = shape.reduce(1, *)  // checked by header(_:rank:)
    let available = bytes.count - headerSize
    let sizes = shape.map(String.init).joined(separator: "×")
    guard available >= expected else {
      throw Problem(description: "truncated: the header promises \(sizes) = \(expected) bytes of data, the file has \(available)")
    }
    guard available == expected else {
      throw Problem(description: "corrupt: \(available - expected) bytes after the \(sizes) data the header describes")
    }
    var data = bytes
    data.removeFirst(headerSize)  // in place: no second copy of the data
    return Array(shape: shape, bytes: data)
  }

  /// The bytes of an IDX file (uncompressed) holding `array`: for writing test data.
  public static func encode(_ array: Array) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(array.shape.count)]
    for size in array.shape { bytes += [UInt8(size >> 24 & 0xff), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)] }
    return bytes + array.bytes
  }
}
