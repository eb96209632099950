import FuzzDriver

/// CSV tables of codes: rows of equal width, finite numbers only.
@main enum FuzzCSV {
  static func main() {
    fuzz { bytes in
      guard let (header, rows) = try? CSV.decode(String(decoding: bytes, as: UTF8.self)) else { return }
      let width = rows.first?.count ?? header?.count ?? 0
      require(rows.allSatisfy { $0.count == width && $0.allSatisfy(\.isFinite) }, "ragged or non-finite rows")
    }
  }
}
