// Sizes read from files and options are multiplied and added with overflow checks: a header
// declaring [2^40, 2^30] gives nil, not a trap.

/// The product of `values`, or nil if it overflows `Int` (or any value is negative).
public func checkedProduct(_ values: some Sequence<Int>) -> Int? {
  var product = 1
  for value in values {
    guard value >= 0 else { return nil }
    let (next, overflow) = product.multipliedReportingOverflow(by: value)
    if overflow { return nil }
    product = next
  }
  return product
}

/// The sum of `values`, or nil if it overflows `Int`.
public func checkedSum(_ values: some Sequence<Int>) -> Int? {
  var sum = 0
  for value in values {
    let (next, overflow) = sum.addingReportingOverflow(value)
    if overflow { return nil }
    sum = next
  }
  return sum
}
