"""The diffusion process: schedules, scale pyramid, resampling, band normalization, sampler and hooks."""
