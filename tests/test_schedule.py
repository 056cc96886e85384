"""The inlined cosine schedule equals diffusers' squaredcos_cap_v2, and importing it needs no diffusers."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rsedit.models.diffusion.schedule import NUM_TIMESTEPS, DiffusionSchedule


@pytest.mark.parametrize("num_timesteps", [NUM_TIMESTEPS, 1000])
def test_cosine_schedule_matches_diffusers_bit_for_bit(num_timesteps):
    diffusers = pytest.importorskip("diffusers", reason="diffusers is not installed (only the latent backend needs it)")
    reference = diffusers.DDPMScheduler(beta_schedule="squaredcos_cap_v2", num_train_timesteps=num_timesteps)
    schedule = DiffusionSchedule.cosine(num_timesteps)
    np.testing.assert_array_equal(schedule.alphas_cumprod, reference.alphas_cumprod.double().numpy())
    # betas are derived from alphas_cumprod in float64, diffusers keeps its float32 ones
    np.testing.assert_allclose(schedule.betas, reference.betas.double().numpy(), rtol=1e-5, atol=1e-7)


def test_schedule_import_does_not_import_diffusers():
    plugins = Path(__file__).resolve().parents[1] / "build" / "plugins"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from rsedit.models.diffusion.schedule import DiffusionSchedule; DiffusionSchedule.cosine(); "
            "import rsedit.models.sinddm.trainer, rsedit.models.patch.patch_scene_model; "
            "assert 'diffusers' not in sys.modules, 'diffusers was imported'")
    subprocess.run([sys.executable, "-c", code, str(plugins)], check=True)
