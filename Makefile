# The two commands of README.md. Both install the system tools the build needs
# (cmake for the bundled PROJ) when they are missing, then call cargo.

.PHONY: run test deps test-deps bench

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@command -v cmake >/dev/null 2>&1 && command -v sqlite3 >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || \
	  { echo "installing build tools (cmake, sqlite3, g++) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq cmake sqlite3 g++ pkg-config >/dev/null; }

# The peer tools the tests run: GDAL (ogrinfo, ogr2ogr), PROJ (cs2cs, projinfo) and
# poppler (pdftotext, pdffonts, pdfinfo, pdftoppm) for the printed PDFs.
test-deps: deps
	@command -v ogrinfo >/dev/null 2>&1 && command -v cs2cs >/dev/null 2>&1 && command -v projinfo >/dev/null 2>&1 && \
	  command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || \
	  { echo "installing test tools (gdal-bin, proj-bin, poppler-utils) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gdal-bin proj-bin poppler-utils >/dev/null; }

# Open the desktop app on the bundled sample township.
run: deps
	cargo run --release

test: test-deps
	cargo test --release

bench: deps
	cargo run --release -- bench
	cargo run --release -- bench-print
	cargo run --release -- bench-edit --cells 10000
	cargo run --release -- bench-edit --cells 100000 --runs 10
	cargo bench --bench canvas
