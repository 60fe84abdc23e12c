#!/usr/bin/env python3
"""Regenerate NotoSansSC-Subset.otf: Noto Sans CJK SC Regular (SIL OFL 1.1, Debian
fonts-noto-cjk, face 2 of NotoSansCJK-Regular.ttc) subset to ASCII, Latin-1, the GB2312
character set and a few symbols the app uses, without hinting or layout features.

    apt-get install fonts-noto-cjk && pip install fonttools && python3 make_subset.py
"""
import subprocess

chars = set(chr(c) for c in range(0x20, 0x7F))
chars |= set(chr(c) for c in range(0xA0, 0x100))
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars |= set("·—–…“”‘’«»、。，；：？！（）【】《》「」『』〔〕￥°²³±×÷≤≥≈→←↑↓▶▸▾✓✗⚠")
with open("subset-chars.txt", "w", encoding="utf-8") as f:
    f.write("".join(sorted(chars)))
subprocess.run(
    [
        "pyftsubset",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "--font-number=2",
        "--text-file=subset-chars.txt",
        "--layout-features=",
        "--no-hinting",
        "--output-file=NotoSansSC-Subset.otf",
    ],
    check=True,
)
