"""The paper's constants (Isola et al. 2017, section 3 and appendix 6, with the reference
implementation's schedule), defined once: the networks, the losses, the optimizers and the
default training configuration all read them from here (introduced in notebooks 02-05).
"""

__all__ = [
    "BASE_FILTERS", "BATCH_SIZE", "BETA_1", "DECAY_EPOCHS", "DROPOUT_BLOCKS", "DROPOUT_RATE",
    "EPOCHS", "IMAGE_SIZE", "L1_WEIGHT", "LEAKY_SLOPE", "LEARNING_RATE", "LOAD_RATIO", "N_LAYERS",
]

IMAGE_SIZE = 256
"""Training and test images are 256x256 (notebooks 02-05)."""
LOAD_RATIO = 286 / 256
"""Random jitter: resize to 286x286, then crop back to 256x256 (notebooks 02-05)."""
BASE_FILTERS = 64
"""Filters of the first layer of the generator and of the discriminator (C64) (notebooks 02-05)."""
N_LAYERS = 3
"""Stride-2 layers of the 70x70 PatchGAN (C64-C128-C256, then C512 at stride
1) (notebooks 02-05)."""
LEAKY_SLOPE = 0.2
"""Slope of the LeakyReLUs in the encoder and the discriminator (notebooks 02-05)."""
DROPOUT_RATE = 0.5
"""Dropout rate of the decoder's first blocks (notebooks 02-05)."""
DROPOUT_BLOCKS = 3
"""Dropout 0.5 in the first three decoder blocks, at training and at test time (notebooks 02-05)."""
BATCH_SIZE = 1
"""One image per batch (notebooks 02-05)."""
LEARNING_RATE = 2e-4
"""Adam's learning rate (notebooks 02-05)."""
BETA_1 = 0.5
"""Adam with learning rate 0.0002 and momentum parameters beta_1 = 0.5, beta_2 =
0.999 (notebooks 02-05)."""
L1_WEIGHT = 100.0
"""lambda, the weight of the L1 term in the generator's objective (notebooks 02-05)."""
EPOCHS = 200
"""Epochs in all, decay included (notebooks 02-05)."""
DECAY_EPOCHS = 100
"""The reference implementation: 100 epochs at the initial rate, 100 decaying linearly to
0 (notebooks 02-05)."""
