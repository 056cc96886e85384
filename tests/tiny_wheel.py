"""A tiny real wheel, built in the test (no network, no build tools): the installer's stand-in for torch."""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

NAME = "rsedit_tinypkg"


def build_tiny_wheel(folder: Path, version: str = "1.2.3", value: int = 42) -> Path:
    """`rsedit_tinypkg-<version>-py3-none-any.whl` in `folder`: a module with VALUE = `value`."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{NAME}-{version}.dist-info"
    files = {
        f"{NAME}/__init__.py": f"VALUE = {value}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\nSummary: RSEdit test package\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: rsedit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel
