"""The paper's constants (Isola et al. 2017, section 3 and appendix 6, with the reference
implementation's schedule), defined once: the networks, the losses, the optimizers and the
default training configuration all read them from here (introduced in notebooks 02-05).
"""

IMAGE_SIZE = 256
"""Training and test images are 256x256."""
LOAD_RATIO = 286 / 256
"""Random jitter: resize to 286x286, then crop back to 256x256."""
BASE_FILTERS = 64
"""Filters of the first layer of the generator and of the discriminator (C64)."""
N_LAYERS = 3
"""Stride-2 layers of the 70x70 PatchGAN (C64-C128-C256, then C512 at stride 1)."""
LEAKY_SLOPE = 0.2
"""Slope of the LeakyReLUs in the encoder and the discriminator."""
DROPOUT_RATE = 0.5
DROPOUT_BLOCKS = 3
"""Dropout 0.5 in the first three decoder blocks, at training and at test time."""
BATCH_SIZE = 1
LEARNING_RATE = 2e-4
BETA_1 = 0.5
"""Adam with learning rate 0.0002 and momentum parameters beta_1 = 0.5, beta_2 = 0.999."""
L1_WEIGHT = 100.0
"""lambda, the weight of the L1 term in the generator's objective."""
EPOCHS = 200
DECAY_EPOCHS = 100
"""The reference implementation: 100 epochs at the initial rate, 100 decaying linearly to 0."""
