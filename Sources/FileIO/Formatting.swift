import Foundation

/// `1.5 GB`, `640 MB`, `12 KB`, `100 bytes` (powers of 1024).
public func formatBytes(_ bytes: Int) -> String {
  let value = Double(bytes)
  if value >= 0x1p30 { return String(format: "%.1f GB", value / 0x1p30) }
  if value >= 0x1p20 { return String(format: "%.0f MB", value / 0x1p20) }
  if value >= 0x1p10 { return String(format: "%.0f KB", value / 0x1p10) }
  return "\(bytes) bytes"
}

/// `16,777,216`: digits in groups of three.
public func groupedDigits(_ value: Int) -> String {
  let digits = String(value.magnitude)
  var result = ""
  for (index, character) in digits.reversed().enumerated() {
    if index > 0, index % 3 == 0 { result.append(",") }
    result.append(character)
  }
  return (value < 0 ? "-" : "") + String(result.reversed())
}

/// A setting written as one line of text (`l1:1e-05`, `plateau:0.1:10:0.0`): its `description`
/// is what `init(parsing:)` reads back, and in JSON (a model file's metadata) it is that string.
public protocol TextCodable: Codable, CustomStringConvertible {
  /// Reads the text `description` writes; throws an error whose description names the text.
  init(parsing text: String) throws
}

extension TextCodable {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do {
      try self.init(parsing: text)
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
