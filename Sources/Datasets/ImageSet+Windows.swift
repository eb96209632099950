import FileIO

/// How a time series was cut into sliding windows: window `i` holds steps `i·stride ..< i·stride +
/// length` of the series' `steps`.
public struct Windowing: Equatable, Sendable {
  public var length: Int, stride: Int
  /// The series' time steps.
  public var steps: Int
  /// Whether the set's examples are still the windows in series order (so example `i` is window `i`).
  public var inOrder = true

  public init(length: Int, stride: Int, steps: Int, inOrder: Bool = true) {
    (self.length, self.stride, self.steps, self.inOrder) = (length, stride, steps, inOrder)
  }

  /// The windows that cover step `t`: `i` with `i·stride ≤ t < i·stride + length`, among `count`.
  public func windows(covering t: Int, count: Int) -> ClosedRange<Int>? {
    let first = max(0, (t - length + stride) / stride), last = min(count - 1, t / stride)
    return first <= last ? first...last : nil
  }
}

extension ImageSet {
  /// The sliding windows of a time series: `self`'s examples are its steps in order (rows of
  /// `channels` values); window `i` is steps `i·stride ..< i·stride + length`, an example of shape
  /// `[length, channels]`. Copied into storage of their own (the windows overlap); labels are not
  /// kept (a step's label is not a window's).
  ///
  /// - Throws: `FileError` naming the source when the series is shorter than one window or its
  ///   steps are not rows of values.
  public func windows(length: Int, stride: Int) throws -> ImageSet {
    precondition(length > 0 && stride > 0, "windows of \(length) steps, stride \(stride)")
    guard exampleShape.count == 1 else {
      throw FileError(source, "holds examples of shape \(exampleShape); --window cuts a series whose rows (or first dimension) are time steps of values")
    }
    guard count >= length else {
      throw FileError(source, "a window of \(groupedDigits(length)) steps is longer than the series of \(groupedDigits(count)) step\(count == 1 ? "" : "s")")
    }
    let channels = exampleShape[0], windows = (count - length) / stride + 1
    guard let size = checkedProduct([windows, length, channels]), size <= 1 << 31 else {
      throw FileError(source, "\(groupedDigits(windows)) windows of \(groupedDigits(length)) steps are too many values; give a larger --window-stride")
    }
    // The series' values in one array, then each window a copy of its run of them.
    let series: [Float]
    if case .floats(let floats) = storage {
      series = Array(floats[(range.lowerBound * channels)..<(range.upperBound * channels)])
    } else {
      series = (0..<count).flatMap { unscaledExample($0) }
    }
    var values = [Float](repeating: 0, count: size)
    let run = length * channels
    series.withUnsafeBufferPointer { from in
      values.withUnsafeMutableBufferPointer { to in
        for window in 0..<windows { (to.baseAddress! + window * run).update(from: from.baseAddress! + window * stride * channels, count: run) }
      }
    }
    var set = ImageSet(storage: .floats(values), exampleShape: [length, channels], source: source)
    set.columnNames = columnNames
    set.windowing = Windowing(length: length, stride: stride, steps: count)
    return set
  }
}
