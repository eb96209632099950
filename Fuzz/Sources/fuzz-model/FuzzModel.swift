import Foundation
import FuzzDriver

/// Whole model files: the safetensors container, the architecture, training and history
/// metadata; a model that loads is run as the commands run it. Each input is decoded as it is,
/// and again with its 8-byte header length set to where its JSON header really ends, so mutations
/// that grow or shrink the header still reach the metadata layers behind it.
@main enum FuzzModel {
  static func main() {
    fuzz { bytes in
      check(bytes)
      if let repaired = withRepairedHeaderLength(bytes), repaired != bytes { check(repaired) }
    }
  }

  static func check(_ bytes: [UInt8]) {
    guard let file = try? ModelFile.decode(Data(bytes)) else { return }
    require(file.model.namedParameters.allSatisfy { $0.parameter.value.isFinite }, "non-finite weights loaded")
    _ = file.training?.optimizer.description
    _ = file.history?.validationLoss
    exercise(file.model)
    // What `info --json` encodes.
    _ = try? JSONEncoder().encode(file.history)
    _ = try? JSONEncoder().encode(file.model.architecture)
  }

  /// The file with its header length replaced by the length of the JSON object starting at byte 8
  /// (and the spaces after it), or nil when there is no whole object.
  static func withRepairedHeaderLength(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count > 8, bytes[8] == UInt8(ascii: "{") else { return nil }
    var depth = 0, inString = false, escaped = false, end: Int?
    for index in 8..<bytes.count {
      let byte = bytes[index]
      if inString {
        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
        continue
      }
      if byte == UInt8(ascii: "\"") { inString = true }
      if byte == UInt8(ascii: "{") { depth += 1 }
      if byte == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 { end = index + 1; break }
      }
    }
    guard var end else { return nil }
    while end < bytes.count, bytes[end] == UInt8(ascii: " ") { end += 1 }
    var repaired = bytes
    withUnsafeBytes(of: UInt64(end - 8).littleEndian) { repaired.replaceSubrange(0..<8, with: $0) }
    return repaired
  }
}
