"""Write the PIL reference images of the resize test.

Run with Debian's Python and Pillow (python3-pil 9.4.0):
    /usr/bin/python3 make_fixture.py
It writes source.png, a 37 x 23 RGB image of seeded random pixels, and
pil_WxH.png, that image resized with Pillow's BILINEAR filter, which
widens the filter by the scale factor when shrinking.
"""
import random

from PIL import Image

# Each axis alone, shrinking and enlarging, and both axes at once.
SIZES = [(15, 23), (80, 23), (4, 23), (37, 9), (37, 50), (37, 3), (15, 9), (80, 50)]

rng = random.Random(7)
source = Image.new("RGB", (37, 23))
source.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(37 * 23)])
source.save("source.png")
for width, height in SIZES:
    source.resize((width, height), Image.BILINEAR).save(f"pil_{width}x{height}.png")
