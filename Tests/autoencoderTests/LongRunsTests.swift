import Foundation
import ImageFiles
import ModelFiles
import TestSupport
import Testing

/// `train`'s tools for long runs, end to end: regularizers, schedules, early stopping,
/// checkpoints, Ctrl-C and --resume.
@Suite(.serialized) struct LongRunsTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  func train(_ arguments: [String]) -> [String] {
    ["train", "--data", data.path, "--hidden", "8", "--batch-size", "32", "--no-reconstruction"] + arguments
  }

  /// The tensors of a model file, without the header (whose history holds timings).
  func weights(_ path: String) throws -> Data {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let headerSize = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
    return bytes.dropFirst(8 + headerSize)
  }

  @Test func regularizersSchedulesAndEarlyStoppingShowInTheLogAndTheModelFile() throws {
    let result = try CLI.run(train(["--epochs", "4", "--sparsity", "l1:1e-3", "--weight-penalty", "l2:1e-4", "--weight-decay", "0.004",
                                    "--lr-schedule", "step:1:0.5", "--early-stopping", "5", "-o", work.path("m.safetensors")]))
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("sparsity l1:0.001, weight penalty l2:0.0001, learning rate step:1:0.5, early stopping after 5 epochs"))
    #expect(result.output.contains("Epoch 4/4") && result.output.contains("val_sparsity") && result.output.contains("lr 0.000125"))
    let info = try CLI.run(["info", work.path("m.safetensors")])
    #expect(info.output.contains("weight decay 0.004") && info.output.contains("Regularized: sparsity l1:0.001 (per example), weight penalty l2:0.0001"))
    #expect(info.output.contains("weight_penalty") && info.output.contains("lr"))
    #expect(try work.contents() == ["m.safetensors"])  // a short run leaves no checkpoint
  }

  @Test func badSettingsAreOneLineNamingTheValue() throws {
    let model = work.path("m.safetensors")
    try CLI.expectFailure(train(["--sparsity", "l3:1", "-o", model]), mentions: ["--sparsity l3:1", "not a sparsity penalty"])
    try CLI.expectFailure(train(["--sparsity", "l1:-1", "-o", model]), mentions: ["--sparsity l1:-1", "non-negative"])
    try CLI.expectFailure(train(["--sparsity", "kl:0.05:3", "-o", model]), mentions: ["--sparsity kl:0.05:3", "sigmoid"])
    try CLI.expectFailure(train(["--weight-penalty", "l2:x", "-o", model]), mentions: ["--weight-penalty l2:x"])
    try CLI.expectFailure(train(["--weight-decay=-0.1", "-o", model]), mentions: ["--weight-decay -0.1"])
    try CLI.expectFailure(train(["--lr-schedule", "linear", "-o", model]), mentions: ["--lr-schedule linear", "not a learning-rate schedule"])
    try CLI.expectFailure(train(["--early-stopping=-2", "-o", model]), mentions: ["--early-stopping -2"])
    try CLI.expectFailure(train(["--min-delta", "0.1", "-o", model]), mentions: ["--min-delta applies to --early-stopping"])
    try CLI.expectFailure(train(["--checkpoint-every=-1", "-o", model]), mentions: ["--checkpoint-every -1"])
    try CLI.expectFailure(["train", "--data", data.path, "--architecture", "dense 8, dropout 1.5 | dense 64", "-o", model],
                          mentions: ["dropout 1.5", "[0, 1)"])
    #expect(try work.contents().isEmpty)
  }

  @Test func resumingRefusesWhatIsNotAMatchingCheckpoint() throws {
    let model = work.path("m.safetensors")
    try CLI.expectFailure(train(["--resume", work.path("none.safetensors"), "-o", model]), mentions: ["--hidden with --resume"])
    try CLI.expectFailure(["train", "--resume", work.path("none.safetensors"), "-o", model], mentions: ["none.safetensors", "no such file"])
    #expect(try CLI.run(train(["--epochs", "1", "-o", model])).status == 0)
    try CLI.expectFailure(["train", "--resume", model, "-o", work.path("n.safetensors")], mentions: [model, "a model file, not a checkpoint"])
    // A real checkpoint, from a run stopped by --checkpoint-every 1 and then cut short: its settings stay.
    let checkpoint = try interruptedRun()
    try CLI.expectFailure(["train", "--resume", checkpoint, "--threads", "1", "-o", model], mentions: ["--threads 1", "used 2 threads"])
    try CLI.expectFailure(["train", "--resume", checkpoint, "--learning-rate", "0.1", "-o", model], mentions: ["--learning-rate with --resume"])
    try CLI.expectFailure(["train", "--resume", checkpoint, "--data", work.path(""), "--threads", "2", "-o", model], mentions: ["--data", "trained on"])
    try CLI.expectFailure(["train", "--resume", checkpoint, "--epochs", "1", "--threads", "2", "-o", model], mentions: ["--epochs 1", "done"])
    let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: work.path("torn.safetensors")))
    try CLI.expectFailure(["train", "--resume", work.path("torn.safetensors"), "-o", model], mentions: ["torn.safetensors"])
  }

  /// Starts a long run, interrupts it with SIGINT once it has trained two epochs, and returns its checkpoint.
  func interruptedRun(signal: Int32 = SIGINT, arguments extra: [String] = []) throws -> String {
    let process = CLI.process(train(["--epochs", "3000", "--threads", "2", "-o", work.path("run.safetensors")] + extra))
    let output = Pipe(), errors = Pipe()
    (process.standardOutput, process.standardError) = (output, errors)
    try process.run()
    var seen = ""
    while !seen.contains("Epoch 2/"), process.isRunning {
      seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    }
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 128 + signal, "\(message)")
    #expect(message.contains("finishing this step and saving a checkpoint"), "\(message)")
    #expect(message.contains("Resume with: autoencoder train --resume \(work.path("run-checkpoint.safetensors")) -o \(work.path("run.safetensors"))"),
            "\(message)")
    #expect(FileManager.default.fileExists(atPath: work.path("run.safetensors")))
    return work.path("run-checkpoint.safetensors")
  }

  @Test func ctrlCSavesACheckpointAndResumingEndsWithTheUninterruptedRunsWeights() throws {
    let checkpoint = try interruptedRun(arguments: ["--sparsity", "l1:1e-4"])
    let info = try CLI.run(["info", checkpoint])
    #expect(info.status == 0 && info.output.contains("Checkpoint: ") && info.output.contains("continue with: autoencoder train --resume"))
    // Resume to 300 epochs (fewer than the 3,000 first asked for, to keep the test short) ...
    let resumed = try CLI.run(["train", "--resume", checkpoint, "--epochs", "300", "-o", work.path("run.safetensors"), "--no-reconstruction"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(resumed.output.contains("Resuming \(checkpoint): epoch") && resumed.output.contains("Epoch 300/300"))
    #expect(!FileManager.default.fileExists(atPath: checkpoint))  // done: nothing left to resume
    // ... and the same 300 epochs uninterrupted give the same weights.
    let reference = try CLI.run(train(["--epochs", "300", "--threads", "2", "--sparsity", "l1:1e-4", "-o", work.path("reference.safetensors")]))
    #expect(reference.status == 0, "\(reference.error)")
    #expect(try weights(work.path("run.safetensors")) == weights(work.path("reference.safetensors")))
  }
}

extension LongRunsTests {
  @Test func infoPlotsTheTrainingCurves() throws {
    #expect(try CLI.run(train(["--epochs", "3", "-o", work.path("m.safetensors")])).status == 0)
    let info = try CLI.run(["info", work.path("m.safetensors"), "--plot", work.path("loss.png")])
    #expect(info.status == 0 && info.output.contains("Wrote \(work.path("loss.png")): loss and val_loss per epoch"))
    let image = try PNG.read(work.path("loss.png"))
    #expect(image.width == 720 && image.height == 440 && image.channels == 3)
    try CLI.expectFailure(["info", "--system", "--plot", work.path("x.png")], mentions: ["--plot"])
  }
}
