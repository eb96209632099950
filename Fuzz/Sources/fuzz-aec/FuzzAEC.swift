import FuzzDriver

/// Compressed files (.aec): images of one size or several (CompressedImages.decode, written again, the payload decoded under
/// its tables as `decompress` does, capped at 65,536 symbols; a payload coded under the model's
/// tables also under fixed context tables) and texts (CompressedText.decode,
/// written again, each segment's stream decoded under changing distributions, capped likewise).
@main enum FuzzAEC {
  /// Context tables of three sets fitted to a fixed run of small values and a few escapes, of the
  /// neighbourhood and smoothing a codec's training fits.
  static let contextTables: ContextTables = {
    let symbols: [Int32] = (0..<(24 * 8)).map { (index: Int) -> Int32 in
      let small = Int32((index * 7) % 9) - 4
      return index % 61 == 0 ? small + (1 << 20) : small
    }
    return ContextTables(fitting: symbols, codeShape: [2, 2, 2], sets: 3, neighbourhood: ContextTables.defaultNeighbourhood,
                         priorWeight: ContextTables.defaultPriorWeight)
  }()

  static func main() {
    fuzz { bytes in
      if CompressedText.isText(bytes) {
        // Cumulative frequencies of two distributions over 256 symbols: uniform, and one peaked on 'e'.
        let cumulative = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 2 * 257)
        defer { cumulative.deallocate() }
        var peaked: UInt32 = 0
        for symbol in 0...256 {
          cumulative[symbol] = UInt32(symbol * 256)
          cumulative[257 + symbol] = peaked
          peaked += symbol == 101 ? 65_536 - 255 : 1
        }
        let uniform = UnsafeBufferPointer(rebasing: cumulative[0..<257]), skewed = UnsafeBufferPointer(rebasing: cumulative[257..<514])
        guard let file = try? CompressedText.decode(bytes) else { return }
        require((try? CompressedText.decode(file.encoded())) == file, "a decoded text file does not survive encoding again")
        var budget = 1 << 16
        for (stream, segment) in zip(file.streams, file.segments) {
          guard var decoder = try? RANSDecoder(stream) else { continue }
          for index in 0..<min(segment.count, budget) {
            guard (try? decoder.decode(cumulative: index % 3 == 0 ? uniform : skewed)) != nil else { break }
          }
          budget -= min(segment.count, budget)
          _ = try? decoder.finish()
        }
        return
      }
      guard let images = try? CompressedImages.decode(bytes) else { return }
      // A payload under a codec's context tables (three sets, codes of 2×2×2): every decode ends
      // in symbols or an error, never a crash.
      for file in images.sections where file.header.tablesInModel {
        guard var decoder = try? RANSDecoder(file.payload) else { continue }
        let count = min(file.header.count, 1 << 10) * 8
        if let symbols = try? contextTables.decode(count, codeShape: [2, 2, 2], from: &decoder) {
          require(symbols.count == count, "context tables decoded \(symbols.count) symbols of \(count)")
        }
      }
      require((try? CompressedImages.decode(try images.encoded())) == images, "a decoded file does not survive encoding again")
      var budget = 1 << 16
      for file in images.sections where !file.tables.isEmpty {
        guard var decoder = try? RANSDecoder(file.payload) else { continue }
        let symbols = min(file.header.count * file.header.codeShape.reduce(1, *), budget)
        budget -= symbols
        for index in 0..<symbols {
          guard (try? decoder.decode(with: file.tables[index % file.tables.count])) != nil else { break }
        }
        _ = try? decoder.finish()
      }
    }
  }
}
