"""Run inside the QGIS desktop (qgis.bin --code): click RSEdit's menu action, screenshot the dialog, quit.

The output folder comes from RSEDIT_SCREENSHOT_DIR; a file `result.txt` there says what was found.
"""
import os
from pathlib import Path

from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDialog
from qgis.utils import active_plugins, iface, plugins

OUT = Path(os.environ["RSEDIT_SCREENSHOT_DIR"])


def report(lines: list[str]) -> None:
    (OUT / "result.txt").write_text("\n".join(lines) + "\n")


def grab_dialog() -> None:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    lines = [f"active_plugins={','.join(active_plugins)}"]
    for dialog in dialogs:
        dialog.grab().save(str(OUT / "rsedit_dialog.png"))
        lines.append(f"dialog={dialog.windowTitle()}")
        dialog.reject()
    iface.mainWindow().grab().save(str(OUT / "qgis_main_window.png"))
    report(lines)
    QTimer.singleShot(500, lambda: QApplication.instance().exit(0))


def click_plugin_action() -> None:
    if "rsedit" not in plugins:
        report([f"active_plugins={','.join(active_plugins)}", "error=rsedit not loaded"])
        QApplication.instance().exit(1)
        return
    menu_titles = [a.text() for a in iface.mainWindow().menuBar().actions()]
    actions = plugins["rsedit"].actions
    QTimer.singleShot(3000, grab_dialog)  # fires inside the dialog's modal loop
    report([f"menus={'|'.join(menu_titles)}", f"action={actions[0].text()}"])
    actions[0].trigger()


QTimer.singleShot(3000, click_plugin_action)
