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
