"""The training-free patch model: the closed-form posterior mean over the image's own patches."""
