// AutoencoderKit: one import for the whole toolkit.
@_exported import Autodiff
@_exported import Codec
@_exported import Datasets
@_exported import Embeddings
@_exported import EntropyCoding
@_exported import FileIO
@_exported import ImageFiles
@_exported import ModelFiles
@_exported import NN
@_exported import Optimizers
@_exported import TensorCore
@_exported import Training

/// The toolkit's version.
public let autoencoderKitVersion = "0.1.0"
