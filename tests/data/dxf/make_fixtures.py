"""Drawings written by another program (ezdxf 1.4) for gridmap's DXF tests.

Run `python3 make_fixtures.py` here to write them again (pip install ezdxf).

cass_r2000_gbk.dxf: as 南方CASS delivers village boundaries: DXF R2000 in code page
ANSI_936 (GBK), CGCS2000 3-degree zone 38 with the zone number in front of the eastings.
  - layer 村界: 东村 (a 1000 x 800 m rectangle whose east side bulges into a half circle of
    radius 400 m) and 西村 (1000 x 800 m, west of it, sharing the edge x = 38500000);
  - layer 组界: 东村 split at y = 3000400 into 一组 (south) and 二组 (north), each with its
    quarter of the half circle;
  - village names as TEXT on 村界 (height 20), group names on 组界 (height 10), 二组 as
    MTEXT with formatting codes;
  - a block GRIDINFO inserted in 西村 with attributes CODE=430000000002 and HH (households)=128;
  - an open polyline on layer 河流 (a river crossing both villages); a CIRCLE (a well).

utf8_r2013_nozone.dxf: DXF R2013 (UTF-8) with eastings without the zone number
(500000-based): one closed polyline 南村 (600 x 400 m) and its TEXT.
"""
import ezdxf

X0, Y0 = 38_500_000.0, 3_000_000.0

doc = ezdxf.new("R2000")
doc.encoding = "gbk"  # written as $DWGCODEPAGE ANSI_936
for name in ["村界", "组界", "河流", "井"]:
    doc.layers.add(name)
msp = doc.modelspace()
# LWPOLYLINE points: (x, y, start_width, end_width, bulge)
east = [
    (X0, Y0, 0, 0, 0),
    (X0 + 1000, Y0, 0, 0, 1.0),  # half circle (counter-clockwise) to (X0+1000, Y0+800)
    (X0 + 1000, Y0 + 800, 0, 0, 0),
    (X0, Y0 + 800, 0, 0, 0),
]
msp.add_lwpolyline(east, format="xyseb", close=True, dxfattribs={"layer": "村界"})
west = [(X0 - 1000, Y0), (X0, Y0), (X0, Y0 + 800), (X0 - 1000, Y0 + 800)]
msp.add_lwpolyline(west, close=True, dxfattribs={"layer": "村界"})
# Quarter circles: bulge tan(90deg/4).
q = 0.41421356237309503
south = [
    (X0, Y0, 0, 0, 0),
    (X0 + 1000, Y0, 0, 0, q),
    (X0 + 1400, Y0 + 400, 0, 0, 0),
    (X0, Y0 + 400, 0, 0, 0),
]
north = [
    (X0, Y0 + 400, 0, 0, 0),
    (X0 + 1400, Y0 + 400, 0, 0, q),
    (X0 + 1000, Y0 + 800, 0, 0, 0),
    (X0, Y0 + 800, 0, 0, 0),
]
msp.add_lwpolyline(south, format="xyseb", close=True, dxfattribs={"layer": "组界"})
msp.add_lwpolyline(north, format="xyseb", close=True, dxfattribs={"layer": "组界"})
msp.add_text("东村", height=20, dxfattribs={"layer": "村界", "insert": (X0 + 300, Y0 + 380)})
msp.add_text("西村", height=20, dxfattribs={"layer": "村界", "insert": (X0 - 600, Y0 + 380)})
msp.add_text("一组", height=10, dxfattribs={"layer": "组界", "insert": (X0 + 500, Y0 + 150)})
msp.add_mtext(r"{\fSimSun|b0|i0|c134;\H1.0x;二组}", dxfattribs={"layer": "组界", "insert": (X0 + 500, Y0 + 650), "char_height": 10})
block = doc.blocks.new("GRIDINFO")
block.add_attdef("CODE", (0, 0), dxfattribs={"height": 5})
block.add_attdef("HH", (0, -8), dxfattribs={"height": 5})
ref = msp.add_blockref("GRIDINFO", (X0 - 500, Y0 + 200), dxfattribs={"layer": "村界"})
ref.add_auto_attribs({"CODE": "430000000002", "HH": "128"})
msp.add_lwpolyline(
    [(X0 - 1200, Y0 + 100), (X0 - 300, Y0 + 300), (X0 + 600, Y0 + 500), (X0 + 1600, Y0 + 520)],
    dxfattribs={"layer": "河流"},
)
msp.add_circle((X0 - 200, Y0 + 600), 2, dxfattribs={"layer": "井"})
doc.saveas("cass_r2000_gbk.dxf")

doc = ezdxf.new("R2013")
msp = doc.modelspace()
doc.layers.add("村界")
msp.add_lwpolyline(
    [(500_000, 3_000_000), (500_600, 3_000_000), (500_600, 3_000_400), (500_000, 3_000_400)],
    close=True,
    dxfattribs={"layer": "村界"},
)
msp.add_text("南村", height=15, dxfattribs={"layer": "村界", "insert": (500_200, 3_000_200)})
doc.saveas("utf8_r2013_nozone.dxf")
