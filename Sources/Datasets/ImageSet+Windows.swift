import FileIO

/// How a time series was cut into sliding windows: window `i` holds steps `i·stride ..< i·stride +
/// length` of the series' `steps`.
public struct Windowing: Equatable, Sendable {
  public var length: Int, stride: Int
  /// The series' time steps.
  public var steps: Int
  /// Whether the set's examples are still the windows in series order (so example `i` is window `i`).
  public var inOrder = true
  /// The series' labels, one per step (a label column, an .npy's labels), or nil.
  public var stepLabels: [UInt8]?

  public init(length: Int, stride: Int, steps: Int, inOrder: Bool = true, stepLabels: [UInt8]? = nil) {
    (self.length, self.stride, self.steps, self.inOrder, self.stepLabels) = (length, stride, steps, inOrder, stepLabels)
  }

  /// The steps the first `count` windows cover: `0 ..< (count − 1)·stride + length`.
  public func stepsCovered(byWindows count: Int) -> Int { count == 0 ? 0 : (count - 1) * stride + length }

  /// Each step's score from the scores of the windows in order: the lowest of the windows covering
  /// it, so a step scores above a threshold exactly when every window covering it does (keras-io's
  /// rule: a step is anomalous when all its windows are); nil where no window covers it (steps a
  /// stride longer than the window skips).
  public func stepScores(windowScores: [Float]) -> [Float?] {
    (0..<stepsCovered(byWindows: windowScores.count)).map { t in
      windows(covering: t, count: windowScores.count).map { windowScores[$0].min()! }
    }
  }

  /// The windows that cover step `t`: `i` with `i·stride ≤ t < i·stride + length`, among `count`
  /// (the first `count` of the series).
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
  public func windows(length: Int, stride: Int, unit: String = "steps", of series: String = "series") throws -> ImageSet {
    precondition(length > 0 && stride > 0, "windows of \(length) steps, stride \(stride)")
    guard exampleShape.count == 1 else {
      throw FileError(source, "holds examples of shape \(exampleShape); --window cuts a series whose rows (or first dimension) are time steps of values")
    }
    guard count >= length else {
      throw FileError(source, "a window of \(groupedDigits(length)) \(unit) is longer than the \(series) of \(groupedDigits(count)) \(count == 1 ? String(unit.dropLast()) : unit)")
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
    set.windowing = Windowing(length: length, stride: stride, steps: count, stepLabels: labels.map(Array.init))
    return set
  }
}
