import Testing
import TensorCore

/// Whether `actual` and `expected` agree element-wise within `|a - e| <= atol + rtol·|e|`.
public func isClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    (a.isNaN && e.isNaN) || a == e || Swift.abs(a - e) <= atol + rtol * Swift.abs(e)
  }
}

/// Records an issue unless `actual` and `expected` agree within `|a - e| <= atol + rtol·|e|`,
/// naming the worst element.
public func expectClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
  guard actual.count == expected.count else {
    Issue.record("\(actual.count) elements, expected \(expected.count)", sourceLocation: sourceLocation)
    return
  }
  guard !isClose(actual, expected, rtol: rtol, atol: atol) else { return }
  let worst = zip(actual, expected).enumerated().max { x, y in
    Swift.abs(x.element.0 - x.element.1) < Swift.abs(y.element.0 - y.element.1)
  }!
  Issue.record("\(comment.map { "\($0): " } ?? "")element \(worst.offset) is \(worst.element.0), expected \(worst.element.1) (rtol \(rtol), atol \(atol))",
               sourceLocation: sourceLocation)
}

/// `expectClose` for tensors, checking shapes first.
public func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(actual.shape == expected.shape, comment, sourceLocation: sourceLocation)
  expectClose(actual.scalars, expected.scalars, rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}
