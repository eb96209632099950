import CKernels
import Foundation
import Testing

/// The thread pool: every part runs once, the caller runs part 0, each worker always the same
/// part, and regions started from inside a part or from two threads at once still finish.
@Suite(.serialized) struct PoolTests {
  /// Runs `parts` parts, recording for each the thread it ran on (as an opaque identity) and how
  /// many times it ran.
  func run(_ parts: Int, _ extra: @escaping (Int) -> Void = { _ in }) -> (threads: [UInt], runs: [Int]) {
    final class Record {
      let threads: UnsafeMutableBufferPointer<UInt>
      let runs: UnsafeMutableBufferPointer<Int>
      let extra: (Int) -> Void
      init(_ parts: Int, _ extra: @escaping (Int) -> Void) {
        threads = .allocate(capacity: parts)
        threads.initialize(repeating: 0)
        runs = .allocate(capacity: parts)
        runs.initialize(repeating: 0)
        self.extra = extra
      }
      deinit {
        threads.deallocate()
        runs.deallocate()
      }
    }
    let record = Record(parts, extra)
    withExtendedLifetime(record) {
      aek_parallel_run(parts, { context, part in
        let record = Unmanaged<Record>.fromOpaque(context!).takeUnretainedValue()
        record.threads[part] = UInt(bitPattern: Thread.current.hash)
        record.runs[part] += 1  // each part touches only its own element
        record.extra(part)
      }, Unmanaged.passUnretained(record).toOpaque())
    }
    return (Array(record.threads), Array(record.runs))
  }

  /// `run(parts)` until it ran on the pool, one thread per part: other suites' regions may hold
  /// the pool at the moment, and then the parts run inline, one after another.
  /// Tries for up to 20 seconds: on a loaded machine (two cores, other suites and builds beside)
  /// the pool can stay busy for a good part of a second.
  func runOnPool(_ parts: Int) -> [UInt]? {
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      let (threads, runs) = run(parts)
      #expect(runs == Array(repeating: 1, count: parts))
      if Set(threads).count == parts { return threads }
      #expect(Set(threads).count == 1)  // inline: all on the caller
      usleep(200)
    }
    return nil
  }

  @Test func everyPartRunsOnceWithPartZeroOnTheCaller() {
    for parts in [0, 1, 2, 3, 5] {
      let threads = runOnPool(parts)
      #expect(threads != nil, "\(parts) parts never ran one per thread")
      if parts > 0 { #expect(threads?[0] == UInt(bitPattern: Thread.current.hash)) }
    }
    #expect(aek_parallel_workers() >= 4)
  }

  @Test func theSameWorkerRunsTheSamePartEveryRegion() {
    let first = runOnPool(3)
    for _ in 0..<50 { #expect(runOnPool(3) == first) }
  }

  @Test func aRegionInsideAPartRunsInlineOnThatPartsThread() {
    let outerThreads = UnsafeMutableBufferPointer<UInt>.allocate(capacity: 2)
    let innerThreads = UnsafeMutableBufferPointer<[UInt]>.allocate(capacity: 2)
    defer { outerThreads.deallocate(); innerThreads.deallocate() }
    let outer = run(2) { part in
      outerThreads[part] = UInt(bitPattern: Thread.current.hash)
      (innerThreads.baseAddress! + part).initialize(to: run(3).threads)
    }
    #expect(outer.runs == [1, 1])
    for part in 0..<2 { #expect(innerThreads[part] == Array(repeating: outerThreads[part], count: 3)) }
    _ = innerThreads.deinitialize()
  }

  @Test func regionsFromTwoThreadsAtOnceBothFinish() async {
    let totals = await withTaskGroup(of: Int.self) { group in
      for _ in 0..<2 {
        group.addTask {
          var total = 0
          for _ in 0..<200 { total += run(2).runs.reduce(0, +) }
          return total
        }
      }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(totals == [400, 400])
  }

  @Test func aNarrowRegionAfterAWideOneLeavesTheExtraWorkersAlone() {
    let wide = runOnPool(5)
    #expect(wide != nil)
    for _ in 0..<100 { #expect(run(2).runs == [1, 1]) }
    #expect(runOnPool(5) == wide)  // the workers left alone still run their parts
  }

  @Test func workersThatFellAsleepWakeForTheNextRegion() {
    _ = run(2)
    usleep(5_000)  // well past the 0.2 ms spin: the worker sleeps
    #expect(run(2).runs == [1, 1])
  }
}
