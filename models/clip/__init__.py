"""CLIP guidance: the CLIP model, prompt ensembles, augmented views and CLIP weight maps."""
