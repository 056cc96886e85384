"""The torch build the installer proposes: from the NVIDIA driver version (nvidia-smi), per platform,
and the pip command each choice gives."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rsedit.core.package_install import InstallPlan
from rsedit.core.torch_wheels import CPU, CUDA_VARIANTS, DEFAULT, choose_torch_variant, nvidia_driver_version, variant_named


def _nvidia_smi(tmp_path: Path, code: str) -> tuple[str, ...]:
    script = tmp_path / "nvidia_smi.py"
    script.write_text(code)
    return (sys.executable, str(script))


def test_the_driver_version_is_read_from_nvidia_smi(tmp_path):
    two_gpus = "print('570.86.15'); print('570.86.15')"
    assert nvidia_driver_version(_nvidia_smi(tmp_path, two_gpus)) == "570.86.15"
    # nvidia-smi installed but no driver loaded: an error text and exit status 9
    no_driver = ("import sys; print('NVIDIA-SMI has failed because it couldn\\'t communicate with the NVIDIA "
                 "driver.'); sys.exit(9)")
    assert nvidia_driver_version(_nvidia_smi(tmp_path, no_driver)) is None
    assert nvidia_driver_version(_nvidia_smi(tmp_path, "print('No devices were found')")) is None
    assert nvidia_driver_version((str(tmp_path / "no-nvidia-smi"),)) is None


@pytest.mark.parametrize("platform, driver, expected", [
    ("linux", "580.82.07", "cu130"),
    ("linux", "575.51.03", "cu128"),
    ("linux", "560.35.03", "cu126"),
    ("linux", "560.28.02", "cpu"),  # just below what CUDA 12.6 needs
    ("win32", "570.65", "cu128"),
    ("win32", "570.26", "cu126"),  # Linux's minimum for 12.8 is not Windows's
    ("linux", None, "cpu"),
    ("darwin", None, "default"),
])
def test_the_newest_cuda_build_the_driver_supports_is_chosen(platform, driver, expected):
    choice = choose_torch_variant(platform, driver)
    assert choice.variant.name == expected
    assert choice.reason  # shown beside the choice in the dialog
    if driver is not None and expected == "cpu":
        assert "update the driver" in choice.reason


def test_every_variant_has_its_index_and_names_resolve():
    for variant in CUDA_VARIANTS + (CPU,):
        assert variant.index_url == f"https://download.pytorch.org/whl/{variant.name}"
        assert variant_named(variant.name) is variant
    assert DEFAULT.index_url is None
    with pytest.raises(ValueError, match="cu999"):
        variant_named("cu999")


def test_the_pip_command_follows_the_choice(tmp_path):
    modules = {"torch": "torch==2.14.1", "safetensors": "safetensors==0.8.0"}
    online = InstallPlan("/qgis/python3", tmp_path, modules, torch_index=variant_named("cu128").index_url)
    command = online.pip_command(tmp_path / "staging")
    assert command[:6] == ["/qgis/python3", "-m", "pip", "install", "--target", str(tmp_path / "staging")]
    assert command[command.index("--extra-index-url") + 1] == "https://download.pytorch.org/whl/cu128"
    assert command[-2:] == ["torch==2.14.1", "safetensors==0.8.0"] and "--only-binary=:all:" in command
    offline = InstallPlan("/qgis/python3", tmp_path, modules, torch_index="ignored", wheel_folder=tmp_path / "wheels")
    command = offline.pip_command(tmp_path / "staging")
    assert "--no-index" in command and command[command.index("--find-links") + 1] == str(tmp_path / "wheels")
    assert "--extra-index-url" not in command
