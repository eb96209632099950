import FileIO
import Foundation
import TensorCore

/// The safetensors format (https://github.com/huggingface/safetensors), which PyTorch, Hugging
/// Face, MLX and NumPy (through the `safetensors` package) read:
///
/// ```
/// [8 bytes: N, little-endian u64][N bytes: JSON header, space-padded][tensor data]
/// header: {"__metadata__": {"key": "value", ...},
///          "name": {"dtype": "F32", "shape": [784, 64], "data_offsets": [begin, end]}, ...}
/// ```
/// Offsets count from the start of the data section. Reading is strict, as the reference
/// implementation is: an oversized or non-JSON header, an unknown dtype, a shape that disagrees
/// with its byte range, offsets outside the data or leaving gaps or overlaps are all errors.
public enum SafeTensors {
  /// The largest header accepted, the reference implementation's limit.
  public static let maximumHeaderSize = 100_000_000

  /// The bytes of a file holding `tensors` (as float32, in the order given) and `metadata`.
  public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> Data {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for (name, tensor) in tensors {
      precondition(name != "__metadata__" && header[name] == nil, "duplicate or reserved tensor name \(name)")
      let size = tensor.count * 4
      header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
      offset += size
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
    json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))  // align the data to 8 bytes
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for (_, tensor) in tensors { tensor.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) } }
    return data
  }

  /// The tensors and metadata of a safetensors file's bytes.
  ///
  /// - Throws: `SafeTensors.Problem` saying what is wrong.
  public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    guard data.count >= 8 else { throw Problem("truncated: \(data.count) bytes, too short for a header length") }
    let headerSize = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerSize <= UInt64(maximumHeaderSize) else { throw Problem("header of \(headerSize) bytes exceeds the \(maximumHeaderSize)-byte limit") }
    let size = Int(headerSize)
    guard 8 + size <= data.count else { throw Problem("truncated: the header needs \(size) bytes, the file has \(data.count - 8) after the length") }
    let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + size))
    guard headerBytes.first == UInt8(ascii: "{") else { throw Problem("corrupt: the header is not a JSON object") }
    guard let text = String(data: headerBytes, encoding: .utf8) else { throw Problem("corrupt: the header is not UTF-8") }
    let parsed: Any
    do {
      parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
    } catch {
      throw Problem("corrupt: the header is not valid JSON")
    }
    guard let header = parsed as? [String: Any] else { throw Problem("corrupt: the header is not a JSON object") }

    var metadata: [String: String] = [:]
    if let raw = header["__metadata__"] {
      guard let strings = raw as? [String: String] else { throw Problem("corrupt: __metadata__ must map strings to strings") }
      metadata = strings
    }
    let dataStart = data.startIndex + 8 + size
    let dataSize = data.count - 8 - size
    var entries: [(name: String, shape: [Int], range: Range<Int>)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
            let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else { throw Problem("corrupt: tensor \(name) needs dtype, shape and two data_offsets") }
      guard dtype == "F32" else { throw Problem("tensor \(name) has dtype \(dtype); only F32 is supported") }
      guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else { throw Problem("corrupt: tensor \(name) has shape \(shape)") }
      let (count, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      guard !overflow, count <= dataSize / 4 + 1, offsets[0] >= 0, offsets[0] <= offsets[1] else {
        throw Problem("corrupt: tensor \(name) has offsets \(offsets) and shape \(shape)")
      }
      guard offsets[1] <= dataSize else {
        throw Problem("truncated or corrupt: tensor \(name) ends at byte \(offsets[1]) of the data, which has \(dataSize)")
      }
      guard offsets[1] - offsets[0] == count * 4 else {
        throw Problem("tensor \(name) of shape \(shape) needs \(count * 4) bytes, its offsets span \(offsets[1] - offsets[0])")
      }
      entries.append((name, shape, offsets[0]..<offsets[1]))
    }
    // The tensors must tile the data section exactly: no gaps, no overlaps, nothing after.
    var end = 0
    for entry in entries.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
      guard entry.range.lowerBound == end else {
        throw Problem("corrupt: tensor \(entry.name) starts at byte \(entry.range.lowerBound) of the data, expected \(end) (a gap or an overlap)")
      }
      end = entry.range.upperBound
    }
    guard end == dataSize else { throw Problem("corrupt: \(dataSize - end) bytes of data belong to no tensor") }

    var tensors: [String: Tensor] = [:]
    for entry in entries {
      tensors[entry.name] = Tensor(shape: entry.shape) { out in
        data.withUnsafeBytes { raw in
          let source = UnsafeRawBufferPointer(rebasing: raw[(dataStart - data.startIndex + entry.range.lowerBound)..<(dataStart - data.startIndex + entry.range.upperBound)])
          for i in out.indices { out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        }
      }
    }
    return (tensors, metadata)
  }

  /// What is wrong with a file's bytes.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }
}
