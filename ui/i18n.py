"""Translation: one context for every user-visible string, a .qm file per language in i18n/."""
from __future__ import annotations

from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

# pylupdate5 files a bare tr("...") call under "@default"; always call this tr(), never self.tr()
CONTEXT = "@default"
I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"

_translator: QTranslator | None = None


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def QT_TR_NOOP(text: str) -> str:  # noqa: N802 (the name pylupdate5 looks for)
    """Marks a string kept in a constant and tr()'d where it is shown, so that pylupdate5 extracts it."""
    return text


def qgis_locale() -> str:
    """The language QGIS shows its interface in (two letters), as the desktop decides it."""
    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        locale = settings.value("locale/userLocale", "", type=str)
    else:
        locale = QLocale.system().name()
    return (locale or "en")[:2]


def install_translator(locale: str | None = None) -> str | None:
    """Load i18n/rsedit_<lang>.qm when there is one; returns the file loaded, if any."""
    global _translator
    qm = I18N_DIR / f"rsedit_{locale or qgis_locale()}.qm"
    if not qm.exists():
        return None
    translator = QTranslator()
    if not translator.load(str(qm)):
        return None
    if _translator is not None:
        QCoreApplication.removeTranslator(_translator)
    QCoreApplication.installTranslator(translator)
    _translator = translator
    return str(qm)


def remove_translator() -> None:
    global _translator
    if _translator is not None:
        QCoreApplication.removeTranslator(_translator)
        _translator = None
