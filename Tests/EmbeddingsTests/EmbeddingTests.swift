import Embeddings
import Testing

@Test func pointSetHoldsRowsOfColumns() {
  let points = PointSet([1, 2, 3, 4, 5, 6], rows: 3, columns: 2)
  #expect(points.rows == 3 && points.columns == 2 && points.values[4] == 5)
}
