"""QGIS's own interpreter on each platform, found in installation layouts built in tmp_path (the
decision takes the platform and sys's paths as arguments, so no OS is faked)."""
from __future__ import annotations

from pathlib import Path

from rsedit.core.qgis_python import find_python_executable

VERSION = (3, 12)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_macos_official_bundle_uses_the_bundled_python_framework(tmp_path):
    contents = tmp_path / "QGIS.app" / "Contents"
    prefix = contents / "Frameworks" / "Python.framework" / "Versions" / "3.12"
    python = _touch(prefix / "bin" / "python3.12")
    _touch(tmp_path / "homebrew" / "bin" / "python3")  # another Python, which must not be chosen
    found = find_python_executable("darwin", str(contents / "MacOS" / "QGIS"), str(prefix), str(prefix), VERSION)
    assert found == python


def test_macos_older_bundle_uses_contents_macos_bin(tmp_path):
    contents = tmp_path / "QGIS-LTR.app" / "Contents"
    python = _touch(contents / "MacOS" / "bin" / "python3")
    prefix = contents / "Frameworks" / "Python.framework" / "Versions" / "Current"  # no bin/ there
    found = find_python_executable("darwin", str(contents / "MacOS" / "QGIS"), str(prefix), str(prefix), VERSION)
    assert found == python


def test_macos_without_an_interpreter_in_the_bundle_finds_none(tmp_path):
    contents = tmp_path / "QGIS.app" / "Contents"
    assert find_python_executable("darwin", str(contents / "MacOS" / "QGIS"), str(tmp_path / "prefix"),
                                  str(tmp_path / "prefix"), VERSION) is None


def test_windows_prefers_python3_exe_of_the_qgis_install(tmp_path):
    exec_prefix = tmp_path / "OSGeo4W" / "apps" / "Python312"
    python3 = _touch(exec_prefix / "python3.exe")
    _touch(exec_prefix / "python.exe")
    qgis = tmp_path / "OSGeo4W" / "bin" / "qgis-bin.exe"
    assert find_python_executable("win32", str(qgis), str(exec_prefix), str(exec_prefix), VERSION) == python3


def test_windows_falls_back_to_python_exe(tmp_path):
    exec_prefix = tmp_path / "QGIS 3.34" / "apps" / "Python312"
    python = _touch(exec_prefix / "python.exe")
    qgis = tmp_path / "QGIS 3.34" / "bin" / "qgis-ltr-bin.exe"
    assert find_python_executable("win32", str(qgis), str(exec_prefix), str(exec_prefix), VERSION) == python


def test_linux_uses_sys_executable_when_it_is_this_installations_python(tmp_path):
    venv = tmp_path / "venv"
    venv_python = _touch(venv / "bin" / "python3")
    assert find_python_executable("linux", str(venv_python), str(venv), "/usr", VERSION) == venv_python


def test_linux_desktop_ignores_the_python3_first_on_path(tmp_path):
    """Embedded in qgis.bin, sys.executable is the first python3 on PATH (here a pyenv shim)."""
    shim = _touch(tmp_path / ".pyenv" / "shims" / "python3")
    prefix = tmp_path / "usr"
    system = _touch(prefix / "bin" / "python3.12")
    found = find_python_executable("linux", str(shim), str(prefix), str(prefix), VERSION,
                                   exists=lambda path: path.is_relative_to(tmp_path) and path.is_file())
    assert found == system


def test_linux_desktop_uses_the_matching_system_python(tmp_path):
    """sys.executable is qgis.bin: the /usr/bin/python3.X that QGIS links is chosen, not python3."""
    present = {Path("/usr/bin/python3.12"), Path("/usr/bin/python3")}
    found = find_python_executable("linux", "/usr/bin/qgis.bin", "/usr", "/usr", VERSION,
                                   exists=lambda path: path in present)
    assert found == Path("/usr/bin/python3.12")
