import FuzzDriver

/// IDX files, raw or gzip'd, as images (rank 3) and as labels (rank 1).
@main enum FuzzIDX {
  static func main() {
    fuzz { bytes in
      for rank in [3, 1] {
        guard let array = try? IDX.decode(bytes, rank: rank) else { continue }
        require(array.shape.count == rank && array.bytes.count == array.shape.reduce(1, *), "shape \(array.shape), \(array.bytes.count) bytes")
        if rank == 3, array.shape.allSatisfy({ $0 > 0 }) {
          let set = ImageSet(storage: .bytes(array.bytes), exampleShape: Array(array.shape.dropFirst()), source: "fuzz")
          _ = set.example(set.count - 1)
        }
      }
    }
  }
}
