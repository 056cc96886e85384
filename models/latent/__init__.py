"""The latent (Stable Diffusion) backend: pipeline, DDIM inversion, guidance and the latent tile edit."""
