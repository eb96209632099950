import FuzzDriver

/// PNG files: a decoded image re-encodes and decodes to itself. Each input is decoded as it is
/// (the CRC checks) and again with every chunk's CRC recomputed, so mutated chunk contents reach
/// the inflating, unfiltering and unpacking past the CRCs.
@main enum FuzzPNG {
  static func main() {
    fuzz { bytes in
      check(bytes)
      check(withRepairedCRCs(bytes))
    }
  }

  static func check(_ bytes: [UInt8]) {
    guard let image = try? PNG.decode(bytes) else { return }
    require(image.pixels.count == image.width * image.height * image.channels, "\(image.width)×\(image.height)×\(image.channels)")
    require(image.grayIntensities.count == image.width * image.height, "gray intensities")
    let again = try? PNG.decode(PNG.encode(image))
    require(again == image, "a decoded image does not survive encoding")
  }

  /// `bytes` with the CRC of every whole chunk after the signature set to the right value.
  static func withRepairedCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var bytes = bytes
    var offset = 8
    while offset + 12 <= bytes.count {
      let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      guard length <= bytes.count - offset - 12 else { break }
      let crc = Zlib.crc32(bytes[(offset + 4)..<(offset + 8 + length)])
      for k in 0..<4 { bytes[offset + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
      offset += 12 + length
    }
    return bytes
  }
}
