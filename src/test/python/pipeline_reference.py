#!/usr/bin/python3
"""Writes src/test/resources/fixtures/pipeline_reference.json: an image and what each
pre-processing step must make of it, computed with PyTorch (Debian's python3-torch), independently
of the Java code under test.

    /usr/bin/python3 src/test/python/pipeline_reference.py

Resizes are torch.nn.functional.interpolate with align_corners=False and antialias=False (sampling
at pixel centres: what torchvision's tensor Resize(antialias=False) does); nearest is
"nearest-exact", bicubic uses a = -0.75. Grayscale is ITU-R 601-2 luma as PIL's convert("L") computes it. Center crop
offsets are torchvision's: int(round((size - crop) / 2)).
"""
import json
import pathlib

import torch
import torch.nn.functional as F

H, W = 11, 13
y = torch.arange(H).view(H, 1).expand(H, W)
x = torch.arange(W).view(1, W).expand(H, W)
rgb = torch.stack([(x * 37 + y * 11) % 256, (x * 5 + y * 53 + 7) % 256, (x * x + y * 3) % 256])
rgb = rgb.to(torch.int64)  # C, H, W


def resize(image, h, w, mode):
    out = F.interpolate(image[None].double(), size=(h, w), mode=mode, align_corners=None if mode.startswith("nearest") else False, antialias=False)
    return out[0]


gray = ((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16)[None]
top, left = int(round((H - 5) / 2.0)), int(round((W - 7) / 2.0))
mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).view(3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).view(3, 1, 1)
normalized = (rgb.double() / 255 - mean) / std

cases = {
    "rgb_chw": rgb.double(),
    "gray_chw": gray.double(),
    "bilinear_down_4x5": resize(rgb, 4, 5, "bilinear"),
    "bilinear_up_17x20": resize(rgb, 17, 20, "bilinear"),
    "nearest_down_4x5": resize(rgb, 4, 5, "nearest-exact"),
    "nearest_up_17x20": resize(rgb, 17, 20, "nearest-exact"),
    "bicubic_down_4x5": resize(rgb, 4, 5, "bicubic"),
    "bicubic_up_17x20": resize(rgb, 17, 20, "bicubic"),
    "crop_5x7": rgb[:, top:top + 5, left:left + 7].double(),
    "normalized_chw": normalized,
    "normalized_hwc": normalized.permute(1, 2, 0),
}
out = {
    "height": H,
    "width": W,
    "rgb": rgb.permute(1, 2, 0).reshape(-1).tolist(),  # H, W, C for the Java side to encode
    "cases": {name: {"shape": list(t.shape), "values": t.reshape(-1).tolist()} for name, t in cases.items()},
}
path = pathlib.Path(__file__).resolve().parents[1] / "resources" / "fixtures" / "pipeline_reference.json"
path.write_text(json.dumps(out))
print("wrote", path)
