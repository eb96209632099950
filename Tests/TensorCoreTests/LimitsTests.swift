@testable import TensorCore
import Testing

@Suite struct LimitsTests {
  @Test func memoryBudgetsParseAndCheck() throws {
    #expect(MemoryBudget.parseBytes("2G") == 2 << 30)
    #expect(MemoryBudget.parseBytes("512m") == 512 << 20)
    #expect(MemoryBudget.parseBytes("1000") == 1000)
    #expect(MemoryBudget.parseBytes("1.5K") == 1536)
    #expect(MemoryBudget.parseBytes("lots") == nil)
    #expect(MemoryBudget.parseBytes("-1G") == nil)
    #expect(MemoryBudget.parseBytes("9999999T") == nil)
    let budget = MemoryBudget(bytes: 1 << 30, source: "a test")
    try budget.check(1 << 30, for: "this")
    do {
      try budget.check(3 << 30, for: "training the model")
      Issue.record("no error")
    } catch {
      #expect("\(error)" == "training the model needs about 3.0 GB, more than the memory budget of 1.0 GB (a test)")
    }
    #expect(MemoryBudget.current.bytes > 0)
  }
}
