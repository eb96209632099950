import Autodiff
import TensorCore

/// The gradient of a loss with respect to each parameter of a model, keyed by parameter name.
public struct Gradients {
  /// Gradients by dotted parameter name ("encoder.0.weight").
  public var byName: [String: Tensor]

  public init(_ byName: [String: Tensor] = [:]) { self.byName = byName }

  public subscript(name: String) -> Tensor? { byName[name] }

  /// The global L2 norm: the square root of the sum of every gradient's squared elements.
  public var norm: Float { byName.values.reduce(Float(0)) { $0 + $1.sumOfSquares() }.squareRoot() }
}

/// Evaluates `body` on `model` and differentiates its scalar result with respect to every
/// parameter of the model.
///
/// ```swift
/// let (loss, gradients) = valueWithGradient(at: model) { model in
///   binaryCrossEntropy(predicted: model(batch), expected: batch.value)
/// }
/// optimizer.update(model, along: gradients)
/// ```
public func valueWithGradient<Model: Module>(at model: Model, in body: (Model) -> Variable) -> (value: Float, gradients: Gradients) {
  let parameters = model.namedParameters
  let result = body(model)
  let found = result.gradients(withRespectTo: parameters.map(\.parameter))
  var gradients = Gradients()
  for ((name, parameter), gradient) in zip(parameters, found) {
    gradients.byName[name] = gradient ?? Tensor.zeros(shape: parameter.shape)
  }
  return (result.value.scalar, gradients)
}

/// `valueWithGradient` over a batch split by rows into `shards`, one thread each: the data-parallel
/// step. Each shard builds and differentiates its own graph (products single-threaded within it);
/// the shards' values and gradients are summed in shard order, so the same batch and shard count
/// give the same bits.
///
/// A shard of more than `rowsPerPiece` rows runs as pieces of near-equal size, their values and
/// gradients summed in order: a piece's activations stay in cache from one layer to the next,
/// where a whole shard's of a convolutional model would not. The threads take the batch's pieces
/// one at a time (a thread the machine holds up takes fewer) while their gradients fit in
/// `dynamicGradientBytes`; the sums are each shard's pieces in order, then the shards in order, so
/// the bits do not depend on which thread took which piece.
///
/// `body(model, rows)` must return the shard's (or piece's) *share* of the batch's loss (a mean
/// over the batch weighs `rows` by `rows.count / batch`), so that the shares add up to the whole.
public func valueWithGradient<Model: Module>(at model: Model, shards: [Range<Int>], rowsPerPiece: Int = .max,
                                            in body: (Model, Range<Int>) -> Variable) -> (value: Float, gradients: Gradients) {
  // The weights hold still until the step's update: each kernel derived from one (a Winograd
  // transform, a flip) is derived once for all the pieces and passes.
  Tensor.rememberingDerivedKernels { piecewiseValueWithGradient(at: model, shards: shards, rowsPerPiece: rowsPerPiece, in: body) }
}

private func piecewiseValueWithGradient<Model: Module>(at model: Model, shards: [Range<Int>], rowsPerPiece: Int,
                                                       in body: (Model, Range<Int>) -> Variable) -> (value: Float, gradients: Gradients) {
  guard shards.count > 1 else { return valueWithGradient(at: model, rows: shards.first ?? 0..<0, rowsPerPiece: rowsPerPiece, in: body) }
  let pieces = shards.map { rowPieces(of: $0, rowsPerPiece: rowsPerPiece) }
  let all = pieces.flatMap { $0 }
  let parameterBytes = model.namedParameters.reduce(0) { $0 + $1.parameter.value.count } * MemoryLayout<Float>.stride
  guard all.count > shards.count, all.count * parameterBytes <= dynamicGradientBytes else {
    // One shard per thread, each summing its pieces as it goes.
    var results = [(value: Float, gradients: Gradients)?](repeating: nil, count: shards.count)
    results.withUnsafeMutableBufferPointer { slots in
      let slots = UnsafeSendable(slots)
      Parallel.forEachShard(shards.count) { shard in
        slots.value[shard] = valueWithGradient(at: model, rows: shards[shard], rowsPerPiece: rowsPerPiece, in: body)
      }
    }
    var total = results[0].take()!  // taken, not copied: the sums write in place
    for result in results.dropFirst() { add(result!, into: &total) }
    return total
  }
  var results = [(value: Float, gradients: Gradients)?](repeating: nil, count: all.count)
  results.withUnsafeMutableBufferPointer { slots in
    let slots = UnsafeSendable(slots)
    Parallel.forEachItem(all.count, shards: shards.count) { piece in
      slots.value[piece] = valueWithGradient(at: model) { body($0, all[piece]) }
    }
  }
  // Each shard's pieces summed in order on a thread of its own (summed on one thread, the sums
  // were 1.2% of a codec epoch's profile), then the shards in order.
  let firsts = pieces.reduce(into: [0]) { $0.append($0.last! + $1.count) }
  results.withUnsafeMutableBufferPointer { slots in
    let slots = UnsafeSendable(slots)
    Parallel.forEachShard(shards.count) { shard in
      var sum = slots.value[firsts[shard]].take()!
      for piece in firsts[shard] + 1..<firsts[shard + 1] { add(slots.value[piece].take()!, into: &sum) }
      slots.value[firsts[shard]] = sum
    }
  }
  var total = results[0].take()!
  for shard in 1..<shards.count { add(results[firsts[shard]]!, into: &total) }
  return total
}

/// The most memory the pieces' gradients may hold for the threads to take pieces as they go (else
/// each thread takes a shard and sums its pieces as it goes).
public let dynamicGradientBytes = 64 << 20

/// `rows` in pieces of at most `rowsPerPiece` rows, near-equal, in order.
func rowPieces(of rows: Range<Int>, rowsPerPiece: Int) -> [Range<Int>] {
  guard rows.count > rowsPerPiece, rowsPerPiece > 0 else { return [rows] }
  let pieces = (rows.count + rowsPerPiece - 1) / rowsPerPiece
  return (0..<pieces).map { rows.lowerBound + rows.count * $0 / pieces..<rows.lowerBound + rows.count * ($0 + 1) / pieces }
}

/// One shard's value and gradients: its pieces' summed in order.
private func valueWithGradient<Model: Module>(at model: Model, rows: Range<Int>, rowsPerPiece: Int,
                                              in body: (Model, Range<Int>) -> Variable) -> (value: Float, gradients: Gradients) {
  let pieces = rowPieces(of: rows, rowsPerPiece: rowsPerPiece)
  var total = valueWithGradient(at: model) { body($0, pieces[0]) }
  for piece in pieces.dropFirst() { add(valueWithGradient(at: model) { body($0, piece) }, into: &total) }
  return total
}

/// Adds a shard's or piece's value and gradients to `total`'s (in place where `total` holds the
/// only reference to its tensors).
private func add(_ result: (value: Float, gradients: Gradients), into total: inout (value: Float, gradients: Gradients)) {
  total.value += result.value
  for (name, gradient) in result.gradients.byName { total.gradients.byName[name]!.add(gradient, minimumPerThread: 16384) }
}

/// The value of each term of an objective, summed over a step's shards.
public struct TermValues: Equatable, Sendable {
  /// Names, values and weights, in the objective's order.
  public var terms: [(name: String, value: Float, weight: Float)]

  public init(_ terms: [(name: String, value: Float, weight: Float)]) { self.terms = terms }

  /// The objective, `Σ weight · value` (the one term's value when there is one of weight 1).
  public var total: Float {
    if terms.count == 1, terms[0].weight == 1 { return terms[0].value }
    return terms.reduce(Float(0)) { $0 + $1.weight * $1.value }
  }

  /// The value of the term `name`.
  public subscript(name: String) -> Float? { terms.first { $0.name == name }?.value }

  public static func == (lhs: TermValues, rhs: TermValues) -> Bool {
    lhs.terms.map(\.name) == rhs.terms.map(\.name) && lhs.terms.map(\.value) == rhs.terms.map(\.value)
      && lhs.terms.map(\.weight) == rhs.terms.map(\.weight)
  }
}

/// `valueWithGradient(at:shards:in:)` for an objective of several terms: each shard's `body`
/// returns the shard's share of every term; the sum `Σ weight · value` is differentiated (a single
/// term of weight 1 is differentiated as it is), and each term's value is summed over the shards
/// in shard order.
public func termsWithGradient<Model: Module>(at model: Model, shards: [Range<Int>], rowsPerPiece: Int = .max,
                                             in body: (Model, Range<Int>) -> [LossTerm]) -> (terms: TermValues, gradients: Gradients) {
  let shards = shards.isEmpty ? [0..<0] : shards
  // A slot per piece (the threads may take a shard's pieces in any order); summed below in the
  // order a shard sums its pieces, then the shards in order.
  let pieces = shards.map { rowPieces(of: $0, rowsPerPiece: rowsPerPiece) }
  let starts = pieces.flatMap { $0.map(\.lowerBound) }
  var values: [[(name: String, value: Float, weight: Float)]] = Array(repeating: [], count: starts.count)
  let (_, gradients) = values.withUnsafeMutableBufferPointer { slots in
    let slots = UnsafeSendable(slots)
    return valueWithGradient(at: model, shards: shards, rowsPerPiece: rowsPerPiece) { model, rows in
      let terms = body(model, rows)
      slots.value[starts.firstIndex(of: rows.lowerBound)!] = terms.map { ($0.name, $0.value.value.scalar, $0.weight) }
      if terms.count == 1, terms[0].weight == 1 { return terms[0].value }
      return terms.dropFirst().reduce(terms[0].value * terms[0].weight) { $0 + $1.value * $1.weight }
    }
  }
  var summed: [(name: String, value: Float, weight: Float)] = [], first = 0
  for shard in pieces {
    var shardSum = values[first]
    for piece in values[first + 1..<first + shard.count] {
      for index in piece.indices { shardSum[index].value += piece[index].value }
    }
    first += shard.count
    if summed.isEmpty { summed = shardSum } else { for index in shardSum.indices { summed[index].value += shardSum[index].value } }
  }
  return (TermValues(summed), gradients)
}
