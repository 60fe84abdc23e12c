"""List the crates built into the binaries for a target (default: Windows x64) with their
licences (THIRD-PARTY.txt of the Windows zip and the Linux packages), from `cargo metadata`,
plus the C libraries that come with them. Usage: third_party.py [TARGET-TRIPLE]"""
import json
import subprocess
import sys

target = sys.argv[1] if len(sys.argv) > 1 else "x86_64-pc-windows-gnu"

meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--filter-platform", target],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
packages = {p["id"]: p for p in meta["packages"]}
root = meta["resolve"]["root"]
seen, todo = set(), [root]
while todo:
    i = todo.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        if any(k["kind"] in (None, "normal") for k in d["dep_kinds"]):
            todo.append(d["pkg"])
print("gridmap is built with these components. Their licence texts are in their published")
print("source (crates.io, https://crates.io/crates/NAME/VERSION).")
print("gridmap 使用了以下组件，许可证原文见各组件发布的源代码。")
print()
print("C libraries built in / 内置 C 库:")
print("  PROJ 9 (bundled by proj-sys)  MIT  https://proj.org")
print("  SQLite 3 (bundled by libsqlite3-sys)  Public domain  https://sqlite.org")
print("  Noto Sans CJK SC (subset)  SIL Open Font License 1.1  see OFL.txt")
if "linux" in target:
    print("  libc++, libc++abi, libunwind, compiler-rt (LLVM, linked in by zig)  Apache-2.0 WITH LLVM-exception  https://llvm.org")
elif "windows" in target:
    print("  libstdc++, libgcc (GCC, linked in by MinGW)  GPL-3.0-or-later WITH GCC-exception-3.1  https://gcc.gnu.org")
    print("  winpthreads (MinGW-w64)  MIT  https://www.mingw-w64.org")
print()
print("Written into every published website / 写入发布的网站:")
print("  Leaflet 1.9.4  BSD-2-Clause  https://leafletjs.com (lib/LICENSE-leaflet.txt in the site)")
print()
print("Rust crates / Rust 组件:")
for i in sorted(seen - {root}, key=lambda i: (packages[i]["name"], packages[i]["version"])):
    p = packages[i]
    print(f"  {p['name']} {p['version']}  {p.get('license') or p.get('license_file') or 'see source'}")
