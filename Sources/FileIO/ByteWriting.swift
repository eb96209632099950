extension [UInt8] {
  /// Appends the low `count` bytes of `value`, least significant first.
  public mutating func appendLittleEndian(_ value: UInt64, count: Int) {
    for index in 0..<count { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
  }

  /// Appends `value` as a LEB128 varint: 7 bits a byte, least significant first, the high bit set
  /// on every byte but the last.
  public mutating func appendVarint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    append(UInt8(value))
  }
}
