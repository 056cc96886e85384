"""Build the installable plugin zip: top folder `rsedit/`, runtime files only."""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOP_FILES = ["metadata.txt", "__init__.py", "plugin.py", "icon.svg", "README.md", "LICENSE", "requirements.txt"]
PACKAGES = ["core", "models", "ui"]
SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def plugin_files() -> list[Path]:
    files = [REPO / name for name in TOP_FILES]
    for package in PACKAGES:
        files += [p for p in sorted((REPO / package).rglob("*"))
                  if p.is_file() and not SKIP_PARTS.intersection(p.parts) and p.suffix != ".pyc"]
    files += sorted((REPO / "i18n").glob("*.qm")) + sorted((REPO / "i18n").glob("*.ts"))
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"package: missing files: {', '.join(missing)}")
    return files


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in plugin_files():
            archive.write(path, Path("rsedit") / path.relative_to(REPO))
    tmp.replace(out)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    print(build(parser.parse_args().out))
