import EntropyCoding
import Foundation
import NN

extension Autoencoder {
  /// 16 hex digits that change with the architecture or any parameter's value: an FNV-1a hash
  /// of the architecture's JSON (sorted keys) and every parameter's name, shape and bits. A
  /// compressed file carries its model's, so that another model never decodes it.
  public var fingerprint: String { fingerprint(contextTables: nil) }

  /// `fingerprint`, with a codec's context tables (their shape, ranges and counts) hashed after the
  /// parameters: tables fitted again make another fingerprint, as they code another payload.
  public func fingerprint(contextTables: ContextTables?) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: some Sequence<UInt8>) { for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 } }
    func mix(_ word: UInt64, bytes: Int) {  // little-endian, no allocation
      var word = word
      for _ in 0..<bytes {
        hash = (hash ^ (word & 0xFF)) &* 0x100_0000_01b3
        word >>= 8
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    mix((try? encoder.encode(architecture)) ?? Data())
    for (name, parameter) in namedParameters {
      mix(name.utf8)
      for dimension in parameter.value.shape { mix(UInt64(dimension), bytes: 8) }
      parameter.value.withUnsafeBufferPointer { values in
        for value in values { mix(UInt64(value.bitPattern), bytes: 4) }
      }
    }
    if let tables = contextTables {
      // Tables of the only neighbourhood and smoothing before December 2026 hash as they did.
      if tables.neighbourhood != .magnitude { mix(tables.neighbourhood.name.utf8) }
      if tables.priorWeight > 0 { mix(UInt64(tables.priorWeight), bytes: 8) }
      for value in [tables.grid?[0] ?? 0, tables.grid?[1] ?? 0, tables.channels, tables.codes] + tables.values + tables.setCounts {
        mix(UInt64(value), bytes: 8)
      }
      for value in tables.lowest { mix(UInt64(UInt32(bitPattern: value)), bytes: 4) }
      for channel in tables.counts {
        for count in channel { mix(UInt64(count), bytes: 8) }
      }
    }
    return hex(hash)
  }
}
