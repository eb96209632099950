import FileIO
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
  /// - Throws: `FileError` naming the file: missing, not IDX, wrong rank, truncated, corrupt gzip.
  public static func read(_ path: String, rank: Int) throws -> Array {
    var bytes = [UInt8](try FileIO.read(path))
    if bytes.starts(with: [0x1f, 0x8b]) {
      do {
        bytes = try Zlib.inflate(Data(bytes))
      } catch {
        throw FileError(path, "\(error) (gzip)")
      }
    }
    do {
      return try parse(bytes, rank: rank)
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  struct Problem: Error, CustomStringConvertible {
    let description: String
  }

  static func parse(_ bytes: [UInt8], rank: Int) throws -> Array {
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
    let (expected, overflow) = shape.reduce((1, false)) { acc, size in
      let (product, o) = acc.0.multipliedReportingOverflow(by: size)
      return (product, acc.1 || o)
    }
    guard !overflow, expected <= 1 << 34 else { throw Problem(description: "corrupt: header sizes \(shape) are implausibly large") }
    let available = bytes.count - headerSize
    let sizes = shape.map(String.init).joined(separator: "×")
    guard available >= expected else {
      throw Problem(description: "truncated: the header promises \(sizes) = \(expected) bytes of data, the file has \(available)")
    }
    guard available == expected else {
      throw Problem(description: "corrupt: \(available - expected) bytes after the \(sizes) data the header describes")
    }
    return Array(shape: shape, bytes: Swift.Array(bytes[headerSize...]))
  }

  /// The bytes of an IDX file (uncompressed) holding `array`: for writing test data.
  public static func encode(_ array: Array) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(array.shape.count)]
    for size in array.shape { bytes += [UInt8(size >> 24 & 0xff), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)] }
    return bytes + array.bytes
  }
}
