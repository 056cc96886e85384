"""SinDDM: the single-image multi-scale diffusion model, its training, presets and checkpoints."""
