#!/usr/bin/python3
"""Writes one held-out example image per digit class to png/digit_D.png.

    /usr/bin/python3 examples/digits/make_pngs.py

8x8, 8-bit greyscale PNG written with zlib/struct only (no image library).
grey = round(pixel * 255 / 16), so grey / 255 is the model's [0,1] input
(within 0.002 of pixel / 16). For each class the first row of the held-out
test split (split.py) is used; png/README.md lists the data.csv rows.
"""
import os
import struct
import zlib

import split

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, data):
    # PNG chunk: length, type, data, CRC-32 over type + data
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_grey8(rows):
    """rows: list of lists of 0..255 ints -> PNG file bytes."""
    h, w = len(rows), len(rows[0])
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit grey
    raw = b"".join(b"\x00" + bytes(r) for r in rows)       # filter 0 (None)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    pixels, labels = split.load()
    _, test = split.split(len(labels))
    outdir = os.path.join(HERE, "png")
    os.makedirs(outdir, exist_ok=True)
    lines = ["# Example digits (held-out test split)", "",
             "8x8 8-bit greyscale, grey = round(pixel * 255 / 16); made by "
             "`/usr/bin/python3 examples/digits/make_pngs.py`.", "",
             "| file | digit | data.csv data row (0-based, header excluded) |",
             "|---|---|---|"]
    for d in range(10):
        row = next(int(i) for i in test if labels[i] == d)
        grey = [[int(round(float(pixels[row, r * 8 + c]) * 255.0 / 16.0))
                 for c in range(8)] for r in range(8)]
        name = "digit_%d.png" % d
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(png_grey8(grey))
        lines.append("| %s | %d | %d |" % (name, d, row))
        print("%s <- row %d" % (name, row))
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
