import FileIO
import Testing

@Suite struct CheckedArithmeticTests {
  @Test func productsAndSumsReportOverflowAsNil() {
    #expect(checkedProduct([28, 28, 1]) == 784)
    #expect(checkedProduct([Int]()) == 1)
    #expect(checkedProduct([1 << 40, 1 << 30]) == nil)
    #expect(checkedProduct([Int.max, 0]) == 0)
    #expect(checkedProduct([3, -1]) == nil)
    #expect(checkedSum([1, 2, 3]) == 6)
    #expect(checkedSum([Int.max, 1]) == nil)
  }
}
