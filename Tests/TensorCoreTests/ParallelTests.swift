import Foundation
@testable import TensorCore
import Testing

@Suite(.serialized) struct ParallelTests {
  @Test func chunksCoverEveryElementOnceInOrder() {
    for threads in [1, 2, 3, 8] {
      Parallel.withThreads(threads) {
        for count in [0, 1, 100, 49_152 * 2, 200_704, 1_000_003] {
          let chunks = Parallel.chunks(count)
          #expect(chunks.first?.lowerBound ?? 0 == 0)
          #expect(chunks.last?.upperBound ?? 0 == count)
          #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
          #expect(chunks.count <= threads)
          #expect(chunks.dropLast().allSatisfy { $0.lowerBound % 64 == 0 && $0.count % 64 == 0 })
        }
      }
    }
  }

  @Test func sumsAreTheSameEveryTimeForAThreadCount() {
    Parallel.withThreads(2) {
      let values = (0..<300_000).map { Double($0 % 1000) * 0.001 }
      let first = Parallel.sum(values.count) { r in values[r].reduce(0, +) }
      for _ in 0..<20 { #expect(Parallel.sum(values.count) { r in values[r].reduce(0, +) } == first) }
      #expect(abs(first - values.reduce(0, +)) < 1e-6)
    }
  }

  @Test func partsSplitRangesNearEvenly() {
    #expect(Parallel.range(0, of: 2, count: 784) == 0..<400)
    #expect(Parallel.range(1, of: 2, count: 784) == 400..<784)
    #expect(Parallel.range(1, of: 1, count: 10) == 10..<10)
  }

  @Test func aScopedThreadCountStaysInItsScope() async {
    let outside = Parallel.threads
    Parallel.withThreads(outside + 3) {
      #expect(Parallel.threads == outside + 3)
      Parallel.withThreads(1) { #expect(Parallel.threads == 1) }
      #expect(Parallel.threads == outside + 3)
    }
    #expect(Parallel.threads == outside)
  }

  @Test func shardsSplitABatchIntoNearEqualRowRangesOfAtLeastTheMinimum() {
    Parallel.withThreads(2) {
      #expect(Parallel.shards(ofRows: 256, minimumRows: 32) == [0..<128, 128..<256])
      #expect(Parallel.shards(ofRows: 97, minimumRows: 32) == [0..<48, 48..<97])
      #expect(Parallel.shards(ofRows: 63, minimumRows: 32) == [0..<63])  // halves would be too small
      #expect(Parallel.shards(ofRows: 0, minimumRows: 32) == [0..<0])
    }
    Parallel.withThreads(3) { #expect(Parallel.shards(ofRows: 100, minimumRows: 10) == [0..<33, 33..<66, 66..<100]) }
    Parallel.withThreads(1) { #expect(Parallel.shards(ofRows: 256, minimumRows: 32) == [0..<256]) }
  }

  @Test func eachShardRunsOnItsOwnThreadWithOneThreadInside() {
    Parallel.withThreads(2) {
      let inside = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
      defer { inside.deallocate() }
      Parallel.forEachShard(2) { inside[$0] = Parallel.threads }
      #expect(Array(inside) == [1, 1])
      #expect(Parallel.threads == 2)
    }
  }

  /// Each item runs once, with one thread inside it; a thread held up on an item leaves the
  /// rest to the other.
  @Test func eachItemRunsOnceAndAHeldUpThreadTakesFewer() {
    Parallel.withThreads(2) {
      for items in [0, 1, 2, 7, 40] {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(items, 1))
        let inside = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(items, 1))
        let onCaller = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(items, 1)), caller = pthread_self()
        defer { runs.deallocate(); inside.deallocate(); onCaller.deallocate() }
        _ = runs.initialize(from: repeatElement(0, count: runs.count))
        Parallel.forEachItem(items, shards: 2) { item in
          runs[item] += 1
          inside[item] = Parallel.threads
          onCaller[item] = pthread_equal(pthread_self(), caller) != 0
          if item == 0, items == 40 { usleep(100_000) }
        }
        #expect(Array(runs.prefix(items)) == Array(repeating: 1, count: items), "\(items) items")
        #expect(inside.prefix(items).allSatisfy { $0 == 1 } || items < 2)
        if items == 40 { #expect(onCaller.prefix(items).filter { $0 == onCaller[0] }.count < 20) }
      }
    }
  }

  @Test func aLowerMinimumPerThreadSplitsSmallerPasses() {
    Parallel.withThreads(2) {
      #expect(Parallel.chunks(20_000).count == 1)
      #expect(Parallel.chunks(20_000, minimumPerThread: 8192) == [0..<10_048, 10_048..<20_000])
    }
  }
}
