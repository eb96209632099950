import Foundation
import Testing
import Training

@Suite struct HistoryTests {
  @Test func codableWithKerasNames() throws {
    let history = History(epochs: [.init(epoch: 1, loss: 0.5, validationLoss: 0.4, seconds: 2, examplesPerSecond: 3)])
    let json = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
    #expect(json.contains("\"val_loss\":0.4"))
    #expect(try JSONDecoder().decode(History.self, from: Data(json.utf8)) == history)
    #expect(history.loss == [0.5] && history.validationLoss == [0.4])
  }
}
