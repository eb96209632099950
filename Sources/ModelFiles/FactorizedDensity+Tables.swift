import EntropyCoding
import NN

extension FactorizedDensity {
  /// One probability table per channel (`SymbolTable(lowest:highest:probability:)`) over the
  /// integers that hold the channel's mass (`support(channel:limit:)`).
  public func symbolTables() -> [SymbolTable] {
    (0..<channels).map { channel in
      let range = support(channel: channel, limit: SymbolTable.maximumCount)
      return SymbolTable(lowest: Int32(range.lowerBound), highest: Int32(range.upperBound)) { probability(ofInteger: Int($0), channel: channel) }
    }
  }
}
