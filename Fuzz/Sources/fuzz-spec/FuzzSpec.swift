import FuzzDriver

/// Architecture spec strings (`conv 16 3 relu, pool 2 | up 2, conv 1 3 sigmoid`), for examples
/// of a shape the first byte picks; an architecture that validates is summarized, sized, and,
/// when small, built and run.
@main enum FuzzSpec {
  static let shapes = [[28, 28], [8, 8], [784], [16, 16, 3], [7, 5]]

  static func main() {
    fuzz { bytes in
      guard let first = bytes.first else { return }
      let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
      guard let architecture = try? Architecture(spec: text, exampleShape: shapes[Int(first) % shapes.count]) else { return }
      exercise(architecture)
    }
  }
}
