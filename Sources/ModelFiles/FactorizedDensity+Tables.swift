import EntropyCoding
import NN

extension FactorizedDensity {
  /// One probability table per channel (`SymbolTable(lowest:highest:probability:)`) over the
  /// integers that hold the channel's mass (`integerProbabilities(channel:limit:)`).
  public func symbolTables() -> [SymbolTable] {
    (0..<channels).map { channel in
      let (lowest, probabilities) = integerProbabilities(channel: channel, limit: SymbolTable.maximumCount)
      return SymbolTable(lowest: Int32(lowest), highest: Int32(lowest + probabilities.count - 1)) { probabilities[Int($0) - lowest] }
    }
  }
}
