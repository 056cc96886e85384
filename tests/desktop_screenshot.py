"""Run inside the QGIS desktop (qgis.bin --code): click RSEdit's menu action, screenshot the dialog, open the
dependency installer from the Plugins menu and screenshot it, quit.

The output folder comes from RSEDIT_SCREENSHOT_DIR; a file `result.txt` there says what was found.
"""
import os
from pathlib import Path

from qgis.core import QgsProject
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
        try:  # what the dialog would run, as the map workflow filled it in
            values = dialog.createProcessingParameters()
            rois = values.get("ROIS")
            raster = values.get("INPUT")  # a layer id, or a layer
            layer = QgsProject.instance().mapLayer(raster) if isinstance(raster, str) else raster
            lines.append(f"input={layer.name() if layer is not None else raster}")
            lines.append(f"rois_selected_only={getattr(rois, 'selectedFeaturesOnly', None)}")
        except Exception as error:  # noqa: BLE001 (reported to the test, which fails on it)
            lines.append(f"values_error={error!r}")
        dialog.reject()
    iface.mainWindow().grab().save(str(OUT / "qgis_main_window.png"))
    report(lines)
    QTimer.singleShot(500, open_installer)


def open_installer() -> None:
    """Plugins > RSEdit > Install or repair dependencies…: its dialog opens (nothing is installed)."""
    lines = (OUT / "result.txt").read_text().splitlines()
    menu = plugins["rsedit"].plugin_menu_actions
    lines.append(f"plugin_menu={'|'.join(action.text() for action in menu)}")
    menu[0].trigger()
    installer = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()), None)
    if installer is not None:
        installer.grab().save(str(OUT / "installer_dialog.png"))
        lines.append(f"installer={installer.windowTitle()}")
        lines.append(f"installer_python={installer.python}")
        installer.close()
    report(lines)
    QTimer.singleShot(500, lambda: QApplication.instance().exit(0))


def load_sample_layers() -> None:
    """The sample raster and ROI layer on the map, one polygon selected and the ROI layer active."""
    raster, rois = os.environ.get("RSEDIT_SAMPLE_RASTER"), os.environ.get("RSEDIT_SAMPLE_ROIS")
    if not raster or not rois:
        return
    iface.addRasterLayer(raster, "landsat")
    layer = iface.addVectorLayer(rois, "clouds", "ogr")
    layer.selectByIds([sorted(f.id() for f in layer.getFeatures())[0]])
    iface.setActiveLayer(layer)


def click_plugin_action() -> None:
    load_sample_layers()
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
