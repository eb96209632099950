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

  @Test func everyTermIsLoggedByNameAndWithVal() throws {
    var epoch = History.Epoch(epoch: 2, loss: 160, validationLoss: 158, seconds: 1, examplesPerSecond: 10)
    epoch.terms = ["reconstruction": 150, "kl": 10]
    epoch.validationTerms = ["reconstruction": 149, "kl": 9]
    epoch.klWeight = 0.5
    let history = History(epochs: [epoch])
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let json = String(decoding: try encoder.encode(history), as: UTF8.self)
    #expect(json == #"{"epochs":[{"epoch":2,"examples_per_second":10,"kl":10,"kl_weight":0.5,"loss":160,"reconstruction":150,"seconds":1,"#
      + #""val_kl":9,"val_loss":158,"val_reconstruction":149}]}"#)
    #expect(try JSONDecoder().decode(History.self, from: Data(json.utf8)) == history)
    #expect(history.termNames == ["reconstruction", "kl"])
  }
}
