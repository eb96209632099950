import FuzzDriver

/// NumPy .npy files.
@main enum FuzzNPY {
  static func main() {
    fuzz { bytes in
      guard let (values, shape) = try? NPY.decode(bytes) else { return }
      require(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
    }
  }
}
