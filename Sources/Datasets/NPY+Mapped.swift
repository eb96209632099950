import FileIO

extension NPY {
  /// An array read in place from its memory-mapped file, for data larger than memory: values
  /// are converted to floats as they are used (uint8 scaled by 1/255, as bytes are elsewhere).
  public struct MappedArray: Sendable {
    public let file: FileIO.MappedFile
    /// The offset of the first element in the file.
    let offset: Int
    public let shape: [Int]
    let type: ElementType

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Whether the elements are bytes (scaled by 1/255 when used).
    public var holdsBytes: Bool { type == .uint8 }

    /// Element `index` as the models see it.
    @inline(__always)
    public func value(_ index: Int) -> Float {
      let raw = UnsafeRawBufferPointer(rebasing: file.bytes[offset...])
      return holdsBytes ? Float(raw[index]) / 255 : type.load(raw, index)
    }

    /// Writes rows `rows[i]` (of `rowLength` elements) one after another to `out`, as floats.
    public func gather(rows: UnsafeBufferPointer<Int64>, rowLength: Int, into out: UnsafeMutablePointer<Float>) {
      let raw = UnsafeRawBufferPointer(rebasing: file.bytes[offset...])
      for (position, row) in rows.enumerated() {
        let first = Int(row) * rowLength, target = out + position * rowLength
        if holdsBytes {
          for column in 0..<rowLength { target[column] = Float(raw[first + column]) / 255 }
        } else {
          for column in 0..<rowLength { target[column] = type.load(raw, first + column) }
        }
      }
    }
  }
}
