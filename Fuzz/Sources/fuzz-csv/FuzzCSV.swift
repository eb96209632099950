import FuzzDriver

/// CSV tables: rows of equal width, finite numbers only; the same table on 1 and 3 threads; a
/// label column of any text set apart.
@main enum FuzzCSV {
  static func main() {
    fuzz { bytes in
      guard let (header, rows) = try? CSV.decode(String(decoding: bytes, as: UTF8.self)) else { return }
      let width = rows.first?.count ?? header?.count ?? 0
      require(rows.allSatisfy { $0.count == width && $0.allSatisfy(\.isFinite) }, "ragged or non-finite rows")
      let one = try? bytes.withUnsafeBytes { try CSV.parseTable($0, threads: 1) }
      let three = try? bytes.withUnsafeBytes { try CSV.parseTable($0, threads: 3) }
      require(one?.values == three?.values && one?.rows == three?.rows, "the table depends on the threads")
      if let labelled = try? bytes.withUnsafeBytes({ try CSV.parseTable($0, labelColumn: "1") }) {
        require(labelled.labels?.cells.count == labelled.rows && labelled.values.count == labelled.rows * labelled.columns, "labels and rows disagree")
      }
    }
  }
}
