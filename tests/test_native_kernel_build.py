"""How the CPU kernels are built: from the package's cpu_kernels.c, into $RSEDIT_CACHE_DIR/native
when that is set, and never where a compiler would prompt the user (macOS without the Command Line
Tools, Windows). The decision takes the platform as an argument, so every platform is tested here."""
from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from rsedit.models.kernels import native_kernels
from rsedit.models.kernels.native_kernels import compile_refusal, xcode_developer_dir

COMPILER = native_kernels._compiler()
needs_compiler = pytest.mark.skipif(COMPILER is None or not sys.platform.startswith("linux"),
                                    reason="building needs Linux with a C compiler")
PROBE_FUNCTION = "int rsedit_build_probe(void) { return 4242; }\n"


@needs_compiler
def test_the_c_file_is_what_is_compiled_into_rsedit_cache_dir(tmp_path, monkeypatch):
    changed = tmp_path / "cpu_kernels.c"
    changed.write_text(native_kernels.SOURCE_FILE.read_text(encoding="ascii") + PROBE_FUNCTION, encoding="ascii")
    original_digest = native_kernels.build_digest(COMPILER)
    monkeypatch.setattr(native_kernels, "SOURCE_FILE", changed)
    assert native_kernels.build_digest(COMPILER) != original_digest  # the file's text keys the build

    cache, xdg = tmp_path / "rsedit-cache", tmp_path / "xdg"
    monkeypatch.setenv("RSEDIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.setenv(native_kernels.ENABLE_ENV, "1")
    monkeypatch.delenv(native_kernels.DISABLE_ENV, raising=False)
    library = native_kernels._build()
    assert library is not None
    assert library.rsedit_build_probe() == 4242  # only the changed file has this function
    built = Path(library._name)
    assert built.parent == cache / "native" and not xdg.exists()
    info = os.lstat(built.parent)
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    recorded = native_kernels._recorded_sha256(built.parent, native_kernels.build_digest(COMPILER))
    assert recorded == native_kernels._file_sha256(built)


def _c_matrix(name: str) -> list[list[float]]:
    text = native_kernels.SOURCE_FILE.read_text(encoding="ascii")
    body = re.search(rf"static const float {name}\[[^]]+\]\[[^]]+\] = \{{(.*?)\}};", text, re.S)
    assert body is not None, f"{name} is not in {native_kernels.SOURCE_FILE.name}"
    return [[float(v) for v in row.split(",") if v.strip()] for row in re.findall(r"\{([^{}]*)\}", body.group(1))]


def test_the_c_matrices_are_the_ones_python_transforms_the_weights_for():
    for name, key in (("BT_4", "BT"), ("AT_4", "AT")):
        assert _c_matrix(name) == [list(map(float, row)) for row in native_kernels.MATRICES[4][key]]


def _never_asked() -> str:
    raise AssertionError("xcode-select is only asked on macOS")


def test_linux_compiles_and_windows_never_does():
    assert compile_refusal("linux", developer_dir=_never_asked) is None
    assert "Windows" in compile_refusal("win32", developer_dir=_never_asked)
    assert compile_refusal("cygwin", developer_dir=_never_asked) is not None
    assert compile_refusal("freebsd14", developer_dir=_never_asked) is not None


def test_macos_compiles_only_with_the_command_line_tools(tmp_path):
    refusal = compile_refusal("darwin", developer_dir=lambda: None)
    assert refusal is not None and "xcode-select -p" in refusal
    assert compile_refusal("darwin", developer_dir=lambda: str(tmp_path)) is None


def _stand_in(tmp_path: Path, code: str) -> tuple[str, ...]:
    script = tmp_path / "xcode_select.py"
    script.write_text(code, encoding="utf-8")
    return (sys.executable, str(script))


def test_xcode_select_answers_are_read_as_apple_tools_present_or_absent(tmp_path):
    tools = tmp_path / "CommandLineTools"
    tools.mkdir()
    assert xcode_developer_dir(_stand_in(tmp_path, f"print({str(tools)!r})")) == str(tools)
    # what xcode-select prints without the tools: exit status 2
    absent = "import sys; print('xcode-select: error: unable to get active developer directory', file=sys.stderr); sys.exit(2)"
    assert xcode_developer_dir(_stand_in(tmp_path, absent)) is None
    assert xcode_developer_dir(_stand_in(tmp_path, f"print({str(tmp_path / 'removed')!r})")) is None
    assert xcode_developer_dir((str(tmp_path / "no-such-program"),)) is None
