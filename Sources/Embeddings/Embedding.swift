/// A matrix of `rows` points with `columns` coordinates each, row-major: codes, pixels or a map.
public struct PointSet: Sendable {
  public var values: [Float]
  public let rows: Int
  public let columns: Int

  public init(_ values: [Float], rows: Int, columns: Int) {
    precondition(values.count == rows * columns, "\(values.count) values for \(rows)x\(columns) points")
    self.values = values
    self.rows = rows
    self.columns = columns
  }
}
