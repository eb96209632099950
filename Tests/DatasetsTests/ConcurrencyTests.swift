@testable import Datasets
import Foundation
import Testing

@Suite struct ConcurrencyTests {
  @Test func everyPartRunsOnceWhateverTheThreads() {
    for threads in [1, 2, 5] {
      let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 100)
      counts.initialize(repeating: 0)
      defer { counts.deallocate() }
      let shared = Shared(counts)
      forEachConcurrently(100, threads: threads) { part in shared.value[part] += 1 }
      #expect(Array(counts) == Array(repeating: 1, count: 100), "\(threads) threads")
    }
    var ran = false
    forEachConcurrently(0, threads: 4) { _ in ran = true }
    #expect(!ran)
  }
}
