"""A window of an open scene that reads like a scene of its own: how a chip is edited without
writing it to disk and opening it again."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from .errors import InputError
from .scene import Scene


@dataclass
class SceneWindow(Scene):
    """`window` of `parent`'s raster: width, height and transform are the window's; reads are
    relative to it. Closing it leaves the parent open."""

    window: Window = Window(0, 0, 0, 0)
    parent: Scene = None  # type: ignore[assignment]  # set by SceneWindow.of

    @classmethod
    def of(cls, parent: Scene, window: Window) -> "SceneWindow":
        col, row, width, height = (int(v) for v in (window.col_off, window.row_off, window.width, window.height))
        if col < 0 or row < 0 or width < 1 or height < 1 or col + width > parent.width or row + height > parent.height:
            raise InputError(f"The window {window} does not lie inside the {parent.width}x{parent.height} raster "
                             f"{parent.path!r}.")
        return cls(path=parent.path, dataset=parent.dataset, data_bands=parent.data_bands,
                   alpha_band=parent.alpha_band, georeferenced=parent.georeferenced,
                   window=Window(col, row, width, height), parent=parent)

    @property
    def width(self) -> int:
        return int(self.window.width)

    @property
    def height(self) -> int:
        return int(self.window.height)

    @property
    def transform(self) -> rasterio.Affine:
        return window_transform(self.window, self.dataset.transform)

    def _in_parent(self, window: Window) -> Window:
        return Window(int(window.col_off) + int(self.window.col_off), int(window.row_off) + int(self.window.row_off),
                      int(window.width), int(window.height))

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        return self.parent.read(self._in_parent(window))

    def read_all_bands(self, window: Window) -> np.ndarray:
        return self.parent.read_all_bands(self._in_parent(window))

    def read_internal_mask(self, window: Window) -> np.ndarray:
        return self.parent.read_internal_mask(self._in_parent(window))

    def read_valid(self, window: Window) -> np.ndarray:
        return self.parent.read_valid(self._in_parent(window))

    def close(self) -> None:
        pass  # the parent scene owns the dataset
