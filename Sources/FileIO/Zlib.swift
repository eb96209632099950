import CZlib
import Foundation

/// Compression through the system zlib: gzip and zlib streams in, zlib streams out, CRC-32.
public enum Zlib {
  /// Why a stream could not be inflated.
  public enum InflateError: Error, Equatable, CustomStringConvertible {
    /// The stream ends before its end marker.
    case truncated
    /// The bytes are not a valid stream (zlib's message).
    case corrupt(String)
    /// The output would exceed the limit given.
    case tooLarge(limit: Int)

    public var description: String {
      switch self {
      case .truncated: "truncated compressed data"
      case .corrupt(let message): "corrupt compressed data (\(message))"
      case .tooLarge(let limit): "decompresses to more than \(limit) bytes"
      }
    }
  }

  /// Inflates a gzip or zlib stream (detected from its header). Concatenated gzip members are
  /// joined, as `gunzip` does.
  ///
  /// - Parameters:
  ///   - data: The compressed bytes.
  ///   - limit: The most output bytes accepted (a guard against decompression bombs).
  public static func inflate(_ data: Data, limit: Int = 1 << 31) throws(InflateError) -> [UInt8] {
    try inflate(data, limit: limit, stopAfter: nil)
  }

  /// The first `count` bytes a gzip or zlib stream inflates to (fewer if it is shorter), without
  /// inflating the rest: to read a header and size the whole before inflating it.
  public static func inflatePrefix(_ data: Data, count: Int) throws(InflateError) -> [UInt8] {
    try inflate(data, limit: Int.max, stopAfter: count)
  }

  /// Inflates a raw deflate stream (RFC 1951, no header), as ZIP archives (NumPy's `.npz`) hold.
  public static func inflateRaw(_ data: Data, limit: Int = 1 << 31) throws(InflateError) -> [UInt8] {
    try inflate(data, limit: limit, stopAfter: nil, raw: true)
  }

  private static func inflate(_ data: Data, limit: Int, stopAfter prefix: Int?, raw: Bool = false) throws(InflateError) -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, raw ? -15 : 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw .corrupt("zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    output.reserveCapacity(min(limit, prefix ?? Int.max, max(data.count * 4, 1 << 16)))
    // A chunk no larger than the output can be (a PNG's rows are often under a kilobyte): zeroing
    // a 256 KiB chunk per small file would cost more than inflating it.
    var chunk = [UInt8](repeating: 0, count: min(1 << 18, max(prefix ?? Int.max, 1), limit < Int.max ? limit + 1 : Int.max))
    let result: Result<Void, InflateError> = data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
      guard let base = input.baseAddress, input.count > 0 else { return .failure(.truncated) }
      stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(input.count)
      while true {
        let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
          stream.next_out = buffer.baseAddress
          stream.avail_out = uInt(buffer.count)
          return CZlib.inflate(&stream, Z_NO_FLUSH)
        }
        let produced = chunk.count - Int(stream.avail_out)
        if output.count + produced > limit { return .failure(.tooLarge(limit: limit)) }
        output.append(contentsOf: chunk[..<produced])
        if let prefix, output.count >= prefix {
          output.removeSubrange(prefix...)
          return .success(())
        }
        switch status {
        case Z_OK:
          continue
        case Z_STREAM_END:
          if stream.avail_in == 0 || raw { return .success(()) }
          // Another gzip member follows; anything else after the end is garbage.
          guard stream.next_in[0] == 0x1f else { return .failure(.corrupt("unexpected bytes after the end of the stream")) }
          inflateReset(&stream)
        case Z_BUF_ERROR where stream.avail_in == 0:
          return .failure(.truncated)
        default:
          let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
          return .failure(.corrupt(message))
        }
      }
    }
    try result.get()
    return output
  }

  /// A zlib stream (RFC 1950) of `bytes`, as PNG's image data needs.
  public static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var length = compressBound(uLong(bytes.count))
    var output = [UInt8](repeating: 0, count: Int(length))
    let status = compress2(&output, &length, bytes, uLong(bytes.count), level)
    precondition(status == Z_OK, "zlib compress2 failed with \(status)")
    output.removeSubrange(Int(length)...)
    return output
  }

  /// A gzip stream (RFC 1952) of `bytes`.
  public static func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    let windowBits: Int32 = 15 + 16  // 16: gzip wrapper
    let status = deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK, "zlib deflateInit2 failed with \(status)")
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
    var input = bytes
    let produced = input.withUnsafeMutableBufferPointer { inputBuffer in
      output.withUnsafeMutableBufferPointer { outputBuffer -> Int in
        stream.next_in = inputBuffer.baseAddress
        stream.avail_in = uInt(inputBuffer.count)
        stream.next_out = outputBuffer.baseAddress
        stream.avail_out = uInt(outputBuffer.count)
        let result = CZlib.deflate(&stream, Z_FINISH)
        precondition(result == Z_STREAM_END, "zlib deflate failed with \(result)")
        return outputBuffer.count - Int(stream.avail_out)
      }
    }
    output.removeSubrange(produced...)
    return output
  }

  /// The CRC-32 of `bytes` (as PNG chunks and gzip use), continuing from `initial`.
  public static func crc32(_ bytes: some Collection<UInt8>, initial: UInt32 = 0) -> UInt32 {
    let contiguous = Array(bytes)
    return UInt32(CZlib.crc32(uLong(initial), contiguous, uInt(contiguous.count)))
  }
}
