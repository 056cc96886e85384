"""Wires RSEdit into QGIS: the Processing provider, a menu and toolbar entry, translations."""
from __future__ import annotations

from qgis.core import QgsApplication
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QDialog

from .ui.batch_reads import keep_batch_inputs_unwritten
from .ui.dependencies import INSTALLER_MENU_TEXT, REPORT_MENU_TEXT, add_dependency_folder_to_path
from .ui.dependency_offer import offer_installer_if_missing
from .ui.i18n import install_translator, remove_translator, tr
from .ui.proj_check import check_proj
from .ui.provider import RSEditProvider
from .ui.provider_icon import ICON

MAIN_ALGORITHM = "rsedit:edittext"
REGENERATE_ALGORITHM = "rsedit:regenerate"


class RSEditPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: RSEditProvider | None = None
        self.actions: list[QAction] = []
        self.plugin_menu_actions: list[QAction] = []  # in Plugins > RSEdit
        self.open_dialogs: list[QDialog] = []  # non-modal dialogs, kept alive while shown
        add_dependency_folder_to_path()
        install_translator()
        check_proj()  # after the package folder joins sys.path: its rasterio is the one checked

    def initProcessing(self) -> None:  # noqa: N802 (QGIS's name)
        if self.provider is None:
            keep_batch_inputs_unwritten()  # before qgis_process opens any input layer
            self.provider = RSEditProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802
        self.initProcessing()
        if self.iface is None:
            return
        action = QAction(QIcon(ICON), tr("RSEdit: edit raster in ROIs…"), self.iface.mainWindow())
        action.triggered.connect(self.open_main_dialog)
        self.iface.addPluginToRasterMenu(tr("&RSEdit"), action)
        self.iface.addRasterToolBarIcon(action)
        self.actions.append(action)
        regenerate = QAction(QIcon(ICON), tr("RSEdit: regenerate the selected polygons…"), self.iface.mainWindow())
        regenerate.triggered.connect(lambda: self.open_dialog(REGENERATE_ALGORITHM))
        self.iface.addPluginToRasterMenu(tr("&RSEdit"), regenerate)
        self.actions.append(regenerate)
        for text, slot in ((INSTALLER_MENU_TEXT, self.open_installer), (REPORT_MENU_TEXT, self.open_dependency_report)):
            action = QAction(tr(text), self.iface.mainWindow())
            action.triggered.connect(slot)
            self.iface.addPluginToMenu(tr("&RSEdit"), action)
            self.plugin_menu_actions.append(action)
        offer_installer_if_missing(self.iface, self.open_installer)

    def open_installer(self) -> None:
        from .ui.installer_dialog import InstallDialog

        self._show(InstallDialog(self.iface.mainWindow()))

    def open_dependency_report(self) -> None:
        from .ui.dependency_report_dialog import dependency_report_dialog

        self._show(dependency_report_dialog(self.iface.mainWindow()))

    def _show(self, dialog: QDialog) -> None:
        self.open_dialogs = [d for d in self.open_dialogs if d.isVisible()]
        self.open_dialogs.append(dialog)
        dialog.show()

    def open_main_dialog(self) -> None:
        self.open_dialog(MAIN_ALGORITHM)

    def open_dialog(self, algorithm_id: str) -> None:
        """The algorithm's dialog, started on the map's raster and the polygons selected on it."""
        from processing import execAlgorithmDialog
        from qgis.core import QgsProject

        from .ui.map_selection import dialog_parameters

        execAlgorithmDialog(algorithm_id, dialog_parameters(self.iface.activeLayer(), QgsProject.instance()))

    def unload(self) -> None:
        for action in self.actions:
            self.iface.removePluginRasterMenu(tr("&RSEdit"), action)
            self.iface.removeRasterToolBarIcon(action)
        self.actions.clear()
        for action in self.plugin_menu_actions:
            self.iface.removePluginMenu(tr("&RSEdit"), action)
        self.plugin_menu_actions.clear()
        for dialog in self.open_dialogs:
            dialog.close()
        self.open_dialogs.clear()
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator()
