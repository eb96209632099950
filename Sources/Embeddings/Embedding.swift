/// A matrix of `rows` points with `columns` coordinates each, row-major: codes, pixels or a map.
///
/// Point `i` is `values[i * columns ..< (i + 1) * columns]`.
public struct PointSet: Sendable, Equatable {
  /// The coordinates, `rows · columns` of them, point after point.
  public var values: [Float]
  /// The number of points.
  public let rows: Int
  /// The number of coordinates of each point.
  public let columns: Int

  /// The points whose coordinates `values` holds, row after row.
  public init(_ values: [Float], rows: Int, columns: Int) {
    precondition(rows >= 0 && columns >= 0, "a point set of \(rows)x\(columns)")
    precondition(values.count == rows * columns, "\(values.count) values for \(rows)x\(columns) points")
    self.values = values
    self.rows = rows
    self.columns = columns
  }

  /// The points given as one array of coordinates each (all of one length).
  public init(rows points: [[Float]]) {
    let columns = points.first?.count ?? 0
    precondition(points.allSatisfy { $0.count == columns }, "points of unequal length")
    self.init(points.flatMap { $0 }, rows: points.count, columns: columns)
  }

  /// Coordinate `column` of point `row`: `values[row * columns + column]`.
  public subscript(row: Int, column: Int) -> Float {
    get { values[row * columns + column] }
    set { values[row * columns + column] = newValue }
  }

  /// The coordinates of point `row`.
  public func point(_ row: Int) -> ArraySlice<Float> {
    values[row * columns..<(row + 1) * columns]
  }

  /// The mean point, `(1/rows) Σ_i x_i`, accumulated in double.
  public func mean() -> [Double] {
    var sums = [Double](repeating: 0, count: columns)
    values.withUnsafeBufferPointer { x in
      for row in 0..<rows {
        let base = row * columns
        for column in 0..<columns { sums[column] += Double(x[base + column]) }
      }
    }
    let scale = rows > 0 ? 1 / Double(rows) : 0
    return sums.map { $0 * scale }
  }

  /// The points with `offset` subtracted from each: `x_i − offset`.
  public func subtracting(_ offset: [Double]) -> PointSet {
    precondition(offset.count == columns, "an offset of \(offset.count) coordinates for \(columns)-coordinate points")
    let shift = offset.map { Float($0) }
    var result = self
    result.values.withUnsafeMutableBufferPointer { x in
      for row in 0..<rows {
        let base = row * columns
        for column in 0..<columns { x[base + column] -= shift[column] }
      }
    }
    return result
  }
}

/// A problem with what the user asked for (an option out of range for the data, mismatched
/// inputs), with a one-line message.
public struct EmbeddingError: Error, CustomStringConvertible, Equatable {
  /// What is wrong, in one line naming the values at fault.
  public let description: String

  /// An error reading `description`.
  public init(_ description: String) { self.description = description }
}
