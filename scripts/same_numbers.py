"""Compare two text files whose numbers may differ in the last digits: the text between the
numbers must be equal, and each pair of numbers within 1e-6 (absolute or relative). The
Windows build's maths library (MinGW), the ARM64 build's (glibc's for AArch64, with fused
multiply-adds) and x86-64 Linux's may round transcendental functions differently in the
last bit, so projected coordinates written at full precision can differ
by about 1e-10 m."""
import re
import sys

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def parts(path):
    text = open(path, encoding="utf-8").read()
    return NUMBER.split(text), [float(n) for n in NUMBER.findall(text)]


(ta, na), (tb, nb) = parts(sys.argv[1]), parts(sys.argv[2])
if ta != tb or len(na) != len(nb):
    sys.exit(f"{sys.argv[1]} and {sys.argv[2]}: the text differs")
worst = max((abs(a - b) / max(1.0, abs(a)) for a, b in zip(na, nb)), default=0.0)
if worst > 1e-6:
    sys.exit(f"{sys.argv[1]} and {sys.argv[2]}: numbers differ by {worst:g}")
