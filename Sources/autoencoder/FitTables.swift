import ArgumentParser
import AutoencoderKit
import Foundation

struct FitTables: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit-tables",
    abstract: "Fit a rate-trained codec's context tables to images' codes and store them in the model file.",
    discussion: """
      `train` fits them to the training images when a codec's training ends; fit them again for images of your own. \
      Each code value is coded under a table of its code cell (row and column), its channel, and its neighbourhood \
      (the values left of it and above it, already decoded, each clamped to ±2; --neighbourhood magnitude: the sum \
      of their sizes, as before December 2026), counted from the rounded codes of the images given, in --sets sets: \
      each image is coded under the set that codes it in the fewest bits, the set's index first. Each table leans \
      on what all the sets saw in its context, as many occurrences' worth as --prior-weight says. On Fashion-MNIST's \
      codecs, 16 sets take 23 to 34% fewer bits than the density's one table per channel. Tables per cell code images \
      of the size they were fitted to (other sizes fall back to one table per channel); --any-size fits tables \
      of the neighbourhood alone, for codes of any size. The tables are part of the model's fingerprint: files \
      compressed before a refit decode only with the model as it was.
      """)

  @Argument(help: "The codec's model file; rewritten with the tables unless --output is given.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split to fit on (default: train).") var split: SplitOption = .train
  @Flag(help: "Fit tables of the neighbourhood alone, which code images of any size (fewer bits saved).") var anySize = false
  @Option(help: ArgumentHelp("How many sets of tables to fit (1 to 256); each image is coded under its cheapest set (default \(ContextTables.defaultSets)).", valueName: "n"))
  var sets = ContextTables.defaultSets
  @Option(help: ArgumentHelp("What picks a value's table among its neighbours' (left and above): magnitude (min(|left| + |above|, 3)) or signed[:L] (both values, each clamped to ±L, default 2); default \(ContextTables.defaultNeighbourhood.name).", valueName: "kind"))
  var neighbourhood = ContextTables.defaultNeighbourhood.name
  @Option(help: ArgumentHelp("How many occurrences' worth of the tables pooled over the sets smooth each table (0: add-½ over its values; default \(ContextTables.defaultPriorWeight)).", valueName: "α"))
  var priorWeight = ContextTables.defaultPriorWeight
  @Option(name: .shortAndLong, help: "Write the model with its tables here instead.") var output: String?
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard (1...ContextTables.maximumSets).contains(sets) else { throw ValidationError("--sets \(sets): give 1 to \(ContextTables.maximumSets)") }
    guard (0...ContextTables.maximumPriorWeight).contains(priorWeight) else {
      throw ValidationError("--prior-weight \(priorWeight): give 0 to \(ContextTables.maximumPriorWeight)")
    }
    guard Neighbourhood(name: neighbourhood) != nil else {
      throw ValidationError("--neighbourhood \(neighbourhood): give magnitude or signed[:L] with L from 1 to \(Neighbourhood.maximumLimit)")
    }
    try checkWritable(output ?? model, option: output == nil ? "the model" : "--output")
  }

  func run() throws {
    try threads.prepare()
    var file = try ModelFile.read(model)
    let name = (model as NSString).lastPathComponent
    guard file.model.bottleneck != nil else { throw ValidationError(CodecError.notRateTrained(model: name).description) }
    let source = try data.source(for: file)
    // A fully convolutional codec takes images of other sizes than its own.
    let set = file.model.architecture.isFullyConvolutional ? try source.load(split.split, threads: Parallel.threads)
      : try file.examples(from: source, split: split.split)
    guard set.count > 0 else { throw ValidationError("\(set.source): no images to fit tables to") }
    file.entropyTables = file.entropyTables ?? file.model.bottleneck!.symbolTables()
    let tables = try ImageCodec(model: file.model, modelName: name, tables: file.entropyTables).fittedContextTables(set, perCell: !anySize, sets: sets, neighbourhood: Neighbourhood(name: neighbourhood)!, priorWeight: priorWeight)
    file.contextTables = tables
    let path = output ?? model
    try file.write(to: path)
    say("Wrote \(path): context tables \(tables.summary) (\(set.source))")
  }
}
