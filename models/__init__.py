"""Torch models of RSEdit, one package per group; never imports qgis or PyQt5, imports without CUDA.

    diffusion/  the diffusion process, pyramid, normalization and the multi-scale sampler (any Denoiser)
    sinddm/     the single-image multi-scale diffusion model: net, training, presets, checkpoints
    kernels/    the CPU training kernels (Winograd 3x3, native depthwise)
    patch/      the training-free patch model
    clip/       CLIP guidance: model, prompts, views, weight maps
    latent/     the latent (Stable Diffusion) backend
    editing/    the editing hooks and one editor per mode
    device.py, metrics.py  device selection, SWD

Import from the modules themselves (rsedit.models.sinddm.trainer.train_sinddm); this package
re-exports nothing, so importing it stays cheap.
"""
import os

# OpenMP threads that spin while waiting make torch 10-30x slower whenever the CPU is shared (QGIS's own
# threads, other programs): see docs/benchmarks.md, section "OpenMP waiting". Only effective if torch
# is not imported yet.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
