"""CPU training kernels: Winograd 3x3 and depthwise convolutions give conv2d's outputs and gradients."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rsedit.models.kernels import native_kernels
from rsedit.models.kernels.winograd_conv import winograd_conv3x3, winograd_tile, winograd_weight_grad_conv3x3
from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig
from rsedit.models.sinddm.depthwise_conv import depthwise_conv

from single_thread import one_cpu_thread  # noqa: F401,E402 (autouse fixture)

SHAPES = [  # batch, c_in, c_out, height, width, channels_last
    (2, 5, 7, 9, 11, True),  # odd sizes: partial tiles at the bottom and right
    (3, 4, 6, 8, 10, False),  # NCHW input
    (1, 3, 2, 1, 1, True),  # a single pixel: everything but the centre tap falls in the padding
    (2, 24, 16, 13, 6, True),
    (2, 1, 4, 7, 6, False),  # one band (the net's first layer on a single-band raster)
]


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


@pytest.fixture
def native(monkeypatch):
    """The compiled kernels, switched on as a user would (they are off by default: no input runs code)."""
    monkeypatch.setenv(native_kernels.ENABLE_ENV, "1")
    monkeypatch.delenv(native_kernels.DISABLE_ENV, raising=False)
    native_kernels.reset()
    lib = native_kernels.load()
    if lib is None:
        pytest.skip("no C compiler here: the native kernels are not built")
    yield lib
    native_kernels.reset()  # the next test reads the switch again


@pytest.fixture(params=["native", "torch-ops"])
def kernels(request, monkeypatch):
    if request.param == "native":
        request.getfixturevalue("native")
    else:
        monkeypatch.setattr(native_kernels, "load", lambda: None)
    return request.param


def test_the_kernels_are_off_unless_enabled(monkeypatch):
    monkeypatch.delenv(native_kernels.ENABLE_ENV, raising=False)
    native_kernels.reset()
    try:
        assert native_kernels.load() is None and winograd_tile() == 2
    finally:
        native_kernels.reset()


@pytest.mark.parametrize("conv", [winograd_conv3x3, winograd_weight_grad_conv3x3], ids=["full", "weight-grad"])
@pytest.mark.parametrize("shape", SHAPES)
def test_winograd_conv_matches_conv2d_and_its_gradients(kernels, shape, conv):
    n, c_in, c_out, h, w, channels_last = shape
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(n, c_in, h, w, generator=generator)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    weight = (0.2 * torch.randn(c_out, c_in, 3, 3, generator=generator)).requires_grad_(True)
    bias = torch.randn(c_out, generator=generator).requires_grad_(True)
    y = conv(x, weight, bias)
    expected = F.conv2d(x, weight, bias, padding=1)
    assert y.shape == expected.shape
    grad_y = torch.randn(expected.shape, generator=generator)
    grads = torch.autograd.grad(y, (x, weight, bias), grad_y)
    expected_grads = torch.autograd.grad(expected, (x, weight, bias), grad_y)
    assert _relative_error(y.detach(), expected.detach()) < 1e-5
    for got, want in zip(grads, expected_grads):
        assert _relative_error(got, want) < 1e-5


def test_winograd_tile_follows_the_kernels(kernels):
    assert winograd_tile() == (2 if kernels == "torch-ops" else 4)


@pytest.mark.parametrize("shape", [(2, 5, 9, 11, True), (3, 4, 3, 2, False), (1, 6, 1, 1, True), (2, 1, 8, 7, False), (2, 1, 8, 7, True)])
def test_depthwise_conv_matches_conv2d_and_its_gradients(kernels, shape):
    n, channels, h, w, channels_last = shape
    torch.manual_seed(2)
    conv = torch.nn.Conv2d(channels, channels, 5, padding=2, groups=channels)
    x = torch.randn(n, channels, h, w)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    y = depthwise_conv(x, conv)
    grad_y = torch.randn(y.shape)
    grads = torch.autograd.grad(y, (x, conv.weight, conv.bias), grad_y)
    expected = conv(x)
    expected_grads = torch.autograd.grad(expected, (x, conv.weight, conv.bias), grad_y)
    assert _relative_error(y.detach(), expected.detach()) < 1e-6
    for got, want in zip(grads, expected_grads):
        assert _relative_error(got, want) < 1e-5


def test_net_training_pass_is_the_same_with_the_cpu_kernels(kernels):
    torch.manual_seed(3)
    net = SinDDMNet(SinDDMNetConfig(channels=3, width=160)).to(memory_format=torch.channels_last)
    x = torch.randn(1, 3, 12, 10).contiguous(memory_format=torch.channels_last)
    t, scale = torch.tensor([3, 70]), torch.tensor([1.0, 1.0])

    def loss_and_grads(fast: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        net.use_cpu_kernels(fast)
        net.zero_grad()
        loss = net(x, t, scale).abs().mean()
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in net.parameters()]

    loss_fast, grads_fast = loss_and_grads(True)
    loss_plain, grads_plain = loss_and_grads(False)
    assert abs(float(loss_fast - loss_plain)) < 1e-5 * float(loss_plain)
    for got, want in zip(grads_fast, grads_plain):
        assert _relative_error(got, want) < 1e-4
    with torch.no_grad():  # inference never takes the training kernels
        net.use_cpu_kernels(True)
        fast_eval = net(x, t, scale)
        net.use_cpu_kernels(False)
        assert torch.equal(fast_eval, net(x, t, scale))


def test_native_kernels_split_over_threads_give_the_same_result(native):
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(3, 16, 12, 14, generator=generator).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    weight = torch.randn(8, 16, 3, 3, generator=generator).requires_grad_(True)
    depthwise = torch.nn.Conv2d(16, 16, 5, padding=2, groups=16)

    def run() -> list[torch.Tensor]:
        y = winograd_conv3x3(depthwise_conv(x, depthwise), weight)
        return [y.detach(), *torch.autograd.grad(y.square().sum(), (x, weight, depthwise.weight))]

    one = run()
    torch.set_num_threads(2)  # the autouse fixture restores the count
    two = run()
    for a, b in zip(one, two):  # the same up to summation order (partial sums per thread)
        assert _relative_error(a, b) < 1e-5


def test_net_under_bf16_autocast_trains_without_the_fp32_kernels(kernels):
    # CPUs with bf16 instructions train under autocast: the fp32 kernels must stay out of that pass
    torch.manual_seed(5)
    net = SinDDMNet(SinDDMNetConfig(channels=3, width=32)).to(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 12, 10).contiguous(memory_format=torch.channels_last)
    t, scale = torch.tensor([3, 70]), torch.tensor([1.0, 1.0])

    def grads(fast: bool) -> list[torch.Tensor]:
        net.use_cpu_kernels(fast)
        net.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = net(x, t, scale).float().abs().mean()
        loss.backward()
        return [p.grad.clone() for p in net.parameters()]

    with_flag, without = grads(True), grads(False)
    for got, want in zip(with_flag, without):
        assert torch.isfinite(got).all()
        assert torch.equal(got, want)  # the same oneDNN bf16 pass either way


def test_native_kernels_refuse_tensors_they_cannot_read(native):
    lib = native
    x = torch.randn(1, 8, 8, 16)
    dm = torch.empty(36, 4, 16)
    with pytest.raises(TypeError, match="float32"):
        native_kernels.grad_output_transform(lib, 4, x.bfloat16(), dm.bfloat16(), 2, 2)
    with pytest.raises(TypeError, match="unit channel stride"):
        native_kernels.input_transform(lib, 4, x.permute(0, 3, 1, 2).contiguous().permute(0, 3, 2, 1), dm, 2, 2)
    with pytest.raises(TypeError, match="contiguous"):
        native_kernels.input_transform(lib, 4, x, torch.empty(36, 8, 16)[:, ::2], 2, 2)
    with pytest.raises(TypeError, match="float32"):
        native_kernels.depthwise_weight_grad(lib, x.double(), x.double(), 5)
    with pytest.raises(ValueError, match="shape"):  # too small a tile buffer: 3 tiles where 4 are written
        native_kernels.input_transform(lib, 4, x, torch.empty(36, 3, 16), 2, 2)
