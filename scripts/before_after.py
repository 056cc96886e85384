"""Write a before/after PNG of an edit: the input and the edited raster side by side, cropped to
the edited area (where the edit mask is above 0) plus a margin."""
from __future__ import annotations

import argparse

import numpy as np
import rasterio
from PIL import Image, ImageDraw
from rasterio.windows import Window


def to_rgb(data: np.ndarray) -> np.ndarray:
    rgb = data[:3] if data.shape[0] >= 3 else np.repeat(data[:1], 3, axis=0)
    rgb = rgb.astype(np.float64)
    low, high = np.percentile(rgb[rgb > 0], (1, 99)) if (rgb > 0).any() else (0.0, 1.0)
    return (np.clip((rgb - low) / max(high - low, 1e-9), 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("mask")
    parser.add_argument("png")
    parser.add_argument("--margin", type=int, default=48)
    args = parser.parse_args()
    with rasterio.open(args.mask) as mask_ds:
        rows, cols = np.nonzero(mask_ds.read(1) > 0)
        height, width = mask_ds.height, mask_ds.width
    if rows.size == 0:
        raise SystemExit("the edit mask is empty: nothing was edited")
    r0, r1 = max(rows.min() - args.margin, 0), min(rows.max() + args.margin + 1, height)
    c0, c1 = max(cols.min() - args.margin, 0), min(cols.max() + args.margin + 1, width)
    window = Window(c0, r0, c1 - c0, r1 - r0)
    with rasterio.open(args.before) as before, rasterio.open(args.after) as after:
        left, right = to_rgb(before.read(window=window)), to_rgb(after.read(window=window))
    gap = 8
    canvas = Image.new("RGB", (left.shape[1] * 2 + gap, left.shape[0] + 20), "white")
    canvas.paste(Image.fromarray(left), (0, 20))
    canvas.paste(Image.fromarray(right), (left.shape[1] + gap, 20))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 4), "before", fill="black")
    draw.text((left.shape[1] + gap + 4, 4), "after (RSEdit)", fill="black")
    scale = max(1, 600 // max(canvas.size))
    if scale > 1:
        canvas = canvas.resize((canvas.size[0] * scale, canvas.size[1] * scale), Image.NEAREST)
    canvas.save(args.png)
    print(args.png)


if __name__ == "__main__":
    main()
