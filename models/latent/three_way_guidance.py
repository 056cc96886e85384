"""Three-way text guidance (seed 001, eq. 1–4): null text, source caption and edit prompt.

    noise_cond = ε(z_t, ∅) + γ · [ε(z_t, src) − ε(z_t, ∅)]                      (1), (3)
    noise_pred = noise_cond + β · [ε(z_t, edit) − ε(z_t, src)]      variant "source" (2)
    noise_pred = noise_cond + β · [ε(z_t, edit) − ε(z_t, ∅)]        variant "null"   (4)

γ scales classifier-free guidance towards the source caption, β the push from the source caption
(or from the null text) towards the edit prompt. With γ = 1 and β = 0 the prediction is the plain
source-conditioned ε, which is what DDIM inversion uses, so the source comes back unchanged.
"""
from __future__ import annotations

import torch

VARIANTS = ("source", "null")


def three_way_guidance(eps_null: torch.Tensor, eps_source: torch.Tensor, eps_edit: torch.Tensor,
                       gamma: float, beta: float, variant: str = "source") -> torch.Tensor:
    """The guided noise prediction noise_pred of eq. (2) (variant "source") or eq. (4) ("null")."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown guidance variant {variant!r}: choose 'source' (eq. 1-2) or 'null' (eq. 3-4).")
    noise_cond = eps_null + gamma * (eps_source - eps_null)
    reference = eps_source if variant == "source" else eps_null
    return noise_cond + beta * (eps_edit - reference)


def split_predictions(eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch of three predictions [3, C, h, w] (null, source, edit) -> three [1, C, h, w]."""
    if eps.shape[0] != 3:
        raise ValueError(f"Expected three noise predictions (null, source, edit), got a batch of {eps.shape[0]}.")
    return eps[0:1], eps[1:2], eps[2:3]
