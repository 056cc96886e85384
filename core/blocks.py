"""Output blocks (the GeoTIFF's internal tiles, row-major) and which planned tiles each needs."""
from __future__ import annotations

import math
from typing import Iterator, Sequence

from rasterio.windows import Window

from .tiling import Tile


class BlockSchedule:
    """Blocks of `block_size` px in writing order, the tiles overlapping each block, and the
    last block that needs each tile (after which its edited pixels can be dropped)."""

    def __init__(self, width: int, height: int, block_size: int, tiles: Sequence[Tile]) -> None:
        self.width = width
        self.height = height
        self.block_size = block_size
        self.rows = math.ceil(height / block_size)
        self.cols = math.ceil(width / block_size)
        self._tiles_by_block: dict[int, list[int]] = {}
        self.last_block_of_tile: list[int] = []
        for index, tile in enumerate(tiles):
            w = tile.written
            row_range = range(int(w.row_off) // block_size, (int(w.row_off + w.height) - 1) // block_size + 1)
            col_range = range(int(w.col_off) // block_size, (int(w.col_off + w.width) - 1) // block_size + 1)
            for r in row_range:
                for c in col_range:
                    self._tiles_by_block.setdefault(r * self.cols + c, []).append(index)
            self.last_block_of_tile.append(row_range[-1] * self.cols + col_range[-1])

    def __len__(self) -> int:
        return self.rows * self.cols

    def __iter__(self) -> Iterator[tuple[int, Window]]:
        size = self.block_size
        for r in range(self.rows):
            for c in range(self.cols):
                row0, col0 = r * size, c * size
                yield r * self.cols + c, Window(col0, row0, min(size, self.width - col0),
                                                min(size, self.height - row0))

    def tiles_for_block(self, block_index: int) -> list[int]:
        return self._tiles_by_block.get(block_index, [])

    def first_need_order(self) -> list[int]:
        """Tile indexes in the order the blocks first reach them: the order a writer needs them in."""
        return list(dict.fromkeys(tile for block in sorted(self._tiles_by_block) for tile in self._tiles_by_block[block]))
