"""Pure tensor pieces of the pretrained backend, checked against hand computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rsedit.models.editing.ngdm import noise_weights, start_steps
from rsedit.models.editing.smoothing import gaussian_smooth
from rsedit.models.latent.diffedit_map import ngdm_weights
from rsedit.models.latent.latent_edit import ngdm_replace
from rsedit.models.latent.latent_pipeline import sd_scheduler_config
from rsedit.models.latent.three_way_guidance import split_predictions, three_way_guidance

NULL = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
SOURCE = torch.tensor([[3.0, 1.0], [-1.0, 2.0]])
EDIT = torch.tensor([[0.0, 4.0], [2.0, -3.0]])


def test_eq_1_2_source_variant_by_hand():
    gamma, beta = 2.0, 0.5
    # noise_cond = null + 2 (source - null); noise_pred = noise_cond + 0.5 (edit - source)
    expected = torch.tensor([[5.0 - 1.5, 4.0 + 1.5], [-2.5 + 1.5, 4.0 - 2.5]])
    assert torch.equal(three_way_guidance(NULL, SOURCE, EDIT, gamma, beta, "source"), expected)


def test_eq_3_4_null_variant_by_hand():
    gamma, beta = 2.0, 0.5
    # noise_pred = noise_cond + 0.5 (edit - null)
    expected = torch.tensor([[5.0 - 0.5, 4.0 + 3.0], [-2.5 + 0.75, 4.0 - 1.5]])
    assert torch.equal(three_way_guidance(NULL, SOURCE, EDIT, gamma, beta, "null"), expected)


def test_gamma_one_beta_zero_is_the_source_prediction_and_bad_variant_is_refused():
    assert torch.equal(three_way_guidance(NULL, SOURCE, EDIT, 1.0, 0.0), SOURCE)
    with pytest.raises(ValueError, match="variant"):
        three_way_guidance(NULL, SOURCE, EDIT, 1.0, 0.0, "edit")
    batch = torch.stack([NULL, SOURCE, EDIT])[:, None]
    null, source, edit = split_predictions(batch)
    assert torch.equal(source[0, 0], SOURCE) and torch.equal(edit[0, 0], EDIT)


def test_start_steps_on_a_pretrained_models_schedule_follow_eq_8():
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler.from_config(sd_scheduler_config())
    abar = scheduler.alphas_cumprod.double().numpy()
    t_max = 981
    steps = start_steps(torch.tensor([0.0, 0.5, 1.0]), scheduler, t_max)
    assert steps[0] == -1 and steps[2] == t_max
    # eq. 8 in ᾱ form: ᾱ(T_k) = ᾱ(T)^λ, to within one step of the table
    target = abar[t_max] ** 0.5
    assert abs(int(steps[1]) - int(np.argmin(np.abs(abar - target)))) <= 1


def test_ngdm_rule_keeps_start_step_minus_one_cells_on_the_source():
    """Cells that never start (T_k = −1, the paper's T_k = 0: clean at t = 0) take the noised source
    at every step, and the clean source after the last one."""
    z_prev = torch.full((1, 1, 2, 2), 9.0)
    noised = torch.zeros(1, 1, 2, 2)
    steps = torch.tensor([[-1, 500], [200, 981]])
    out = ngdm_replace(z_prev, 300, steps, noised)
    assert torch.equal(out[0, 0], torch.tensor([[0.0, 9.0], [0.0, 9.0]]))
    final = ngdm_replace(z_prev, -1, steps, noised)
    assert torch.equal(final[0, 0], torch.tensor([[0.0, 9.0], [9.0, 9.0]]))


def test_ngdm_weights_from_a_diffedit_map_times_the_roi():
    attention = torch.tensor([[0.0, 0.5], [1.0, 1.0]])
    roi = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    weights = ngdm_weights(roi, attention, a=0.1, b=-5.0)
    expected = torch.sigmoid(attention / 0.1 - 5.0) * roi
    assert torch.allclose(weights, expected)
    assert weights[1, 1] == 0 and weights[0, 0] > 0  # the map's zero is not forced to 0; the ROI's is
    assert torch.equal(ngdm_weights(roi, None, 0.1, -5.0), noise_weights(roi, 0.1, -5.0))


def test_gaussian_smoothing_keeps_the_mean_of_a_constant_and_spreads_a_peak():
    flat = torch.full((6, 7), 0.3)
    assert torch.allclose(gaussian_smooth(flat, 1.5), flat)
    peak = torch.zeros(9, 9)
    peak[4, 4] = 1.0
    smooth = gaussian_smooth(peak, 1.0)
    assert smooth[4, 4] < 1.0 and smooth[4, 5] > 0 and torch.isclose(smooth.sum(), torch.tensor(1.0), atol=1e-4)


def test_missing_transformers_names_its_pinned_install_command():
    from rsedit.core.dependencies import MissingDependencies

    missing = MissingDependencies(("transformers", "lpips"))
    assert missing.requirements == ["transformers==5.23.0", "lpips==0.1.4"]
    assert '"transformers==5.23.0" "lpips==0.1.4"' in missing.install_command()
