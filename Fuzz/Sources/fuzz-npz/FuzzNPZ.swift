import FuzzDriver

/// NumPy .npz archives (ZIP of NPY files, stored or deflated, ZIP64 records), then the data
/// source's reading of their arrays.
@main enum FuzzNPZ {
  static func main() {
    fuzz { bytes in
      guard let arrays = try? bytes.withUnsafeBytes({ try NPZ.decode($0) }) else { return }
      for (_, contents) in arrays {
        let count: Int
        switch contents.elements {
        case .bytes(let values): count = values.count
        case .floats(let values): count = values.count
        case .mapped(let array): count = array.count
        }
        require(count == contents.shape.reduce(1, *), "\(count) values for shape \(contents.shape)")
      }
    }
  }
}
