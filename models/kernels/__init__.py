"""The CPU training kernels: Winograd 3x3 convolutions and the optional C kernels they call."""
