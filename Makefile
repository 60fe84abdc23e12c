# The two commands of README.md. Both install the system tools the build needs
# (cmake for the bundled PROJ) when they are missing, then call cargo.

.PHONY: run test clippy deps test-deps bench bench-db windows windows-deps windows-test linux linux-deps linux-test linux-arm64 linux-arm64-deps linux-arm64-test linux-arm64-cli linux-arm64-smoke

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@command -v cmake >/dev/null 2>&1 && command -v sqlite3 >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || \
	  { echo "installing build tools (cmake, sqlite3, g++) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq cmake sqlite3 g++ pkg-config >/dev/null; }

# The peer tools the tests run: GDAL (ogrinfo, ogr2ogr), PROJ (cs2cs, projinfo),
# poppler (pdftotext, pdffonts, pdfinfo, pdftoppm) for the printed PDFs, Chromium for the
# published website, openssl (the
# county CA of the TLS test), and PostgreSQL 15
# with PostGIS 3 for the county database (tests/db.rs starts a throwaway cluster on a
# loopback port with scripts/pg-cluster.sh; nothing is started at boot).
test-deps: deps
	@command -v ogrinfo >/dev/null 2>&1 && command -v cs2cs >/dev/null 2>&1 && command -v projinfo >/dev/null 2>&1 && \
	  command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || \
	  { echo "installing test tools (gdal-bin, proj-bin, poppler-utils, openssl) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gdal-bin proj-bin poppler-utils openssl >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
	  { echo "installing PostgreSQL 15 and PostGIS 3 (postgresql, postgresql-15-postgis-3) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql postgresql-15-postgis-3 >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || \
	  { echo "installing Chromium (chromium) with apt-get: the published website is tested in a real browser"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v xvfb-run >/dev/null 2>&1 || \
	  { echo "installing Xvfb and Mesa (xvfb, libgl1-mesa-dri, libegl-mesa0) with apt-get: the app's --screenshot test opens a real window"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq xvfb xauth libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libegl-mesa0 >/dev/null; }

# Open the desktop app on the bundled sample township.
run: deps
	cargo run --release

# The tests run the Linux build as shipped: glibc 2.28, linked by zig (see `linux` below).
test: test-deps linux-deps
	$(ZIG_TEST)

# Every benchmark (audit, printing, editing, the app's frames, the county database); their
# tables go to docs/benchmarks.md with the date, the commit and the machine.
bench: deps
	bash scripts/bench-report.sh docs/benchmarks.md

# The county database: 20 townships x 5,000 grids in a throwaway PostgreSQL cluster.
bench-db: test-deps
	cargo build --release
	@dir=$$(mktemp -d /tmp/gridmap-benchdb.XXXXXX); chmod 755 $$dir; port=$$((20000 + $$$$ % 20000)); \
	  url=$$(bash scripts/pg-cluster.sh start $$dir/pg $$port) && \
	  echo "127.0.0.1:$$port:*:gridmap_admin:$$(cat $$dir/pg/pw)" > $$dir/pgpass && chmod 600 $$dir/pgpass && \
	  PGPASSFILE=$$dir/pgpass ./target/release/gridmap bench-db --url $$url; rc=$$?; \
	  bash scripts/pg-cluster.sh stop $$dir/pg; rm -rf $$dir; exit $$rc

# Windows x64 from this Linux machine (README, "Windows"): Debian's Rust (rustc-web,
# cargo-web, rust-web-src) builds the standard library for the target, MinGW links it.
# The rustup toolchain stays the one on PATH; Debian's is called by its full path.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
WIN_TARGET := x86_64-pc-windows-gnu
# Static C++ runtime: `-lstdc++` (asked for by the PROJ bindings) must find libstdc++.a
# before MinGW's import library, so a folder holding only the static one comes first.
WIN_STATIC := $(CURDIR)/target/windows/static-cxx
WIN_ENV := RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
	CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc-posix \
	CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++-posix \
	AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
	CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-L native=$(WIN_STATIC) -C link-arg=-static -C link-arg=-static-libgcc -C link-arg=-static-libstdc++" \
	CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true

windows-deps: deps
	@[ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 && command -v zip >/dev/null 2>&1 || \
	  { echo "installing the Windows cross-build tools (rustc-web, cargo-web, rust-web-src, g++-mingw-w64-x86-64-posix, zip) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq rustc-web cargo-web rust-web-src g++-mingw-w64-x86-64-posix zip >/dev/null; }

# dist/gridmap-VERSION-windows-x64.zip
windows: windows-deps
	mkdir -p $(WIN_STATIC)
	ln -sf "$$(x86_64-w64-mingw32-g++-posix -print-file-name=libstdc++.a)" $(WIN_STATIC)/libstdc++.a
	$(WIN_ENV) /usr/bin/cargo build --release -Zbuild-std=std,panic_abort --target $(WIN_TARGET) --target-dir target/windows --bins
	sh scripts/windows/package.sh $(VERSION) target/windows/$(WIN_TARGET)/release

# The Windows smoke suite under Wine (and the app's screenshot under Xvfb).
windows-test: windows linux-deps
	@command -v wine >/dev/null 2>&1 && command -v xvfb-run >/dev/null 2>&1 && command -v convert >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 || \
	  { echo "installing wine, xvfb, imagemagick with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wine xvfb imagemagick unzip libgl1-mesa-dri >/dev/null; }
	# The Linux build to compare with: the one make test runs.
	$(ZIG_TEST) --no-run
	bash scripts/windows/smoke.sh

# Linux for UOS, Kylin and Debian/Ubuntu since 2019 (README, "Linux: UOS, Kylin, Debian"):
# linked by zig (cargo-zigbuild) against glibc 2.28, the oldest of them, with PROJ and
# SQLite built by zig's C/C++ compiler and its C++ runtime (libc++) linked in. `make test` tests
# this build, the one shipped; `make linux` packages it as .deb twice, the UOS app store's
# layout and a generic one (scripts/linux/package.sh).
LINUX_GLIBC := 2.28
LINUX_X64 := x86_64-unknown-linux-gnu
ZIG_VERSION := 0.17.1
ZIGBUILD_VERSION := 0.24.1
# Both come from PyPI into target/tools with pip's --target (no Python environment is
# touched): zig as the `ziglang` wheel, cargo-zigbuild as its own wheel, which carries the
# program built (compiling it with `cargo install` took ~80 s of CPU, at the start of CI
# where the builds wait for it). Where no wheel fits the machine, it is compiled.
ZIG_DIR := $(CURDIR)/target/tools/zig-$(ZIG_VERSION)
ZIGBUILD_DIR := $(CURDIR)/target/tools/cargo-zigbuild-$(ZIGBUILD_VERSION)
# Without the line tables Cargo.toml keeps for profiling a native build: this build is the
# one shipped (the packages strip it, but rustc's .debug_gdb_scripts section stays in a
# program built with them), and CI builds it so too.
ZIG_ENV := CARGO_PROFILE_RELEASE_DEBUG=false PATH="$(ZIG_DIR)/ziglang:$(ZIGBUILD_DIR)/bin:$$PATH"
ZIG_TEST := $(ZIG_ENV) cargo-zigbuild test --release --target $(LINUX_X64).$(LINUX_GLIBC)

linux-deps: deps
	@[ -x "$(ZIG_DIR)/ziglang/zig" ] && [ -x "$(ZIGBUILD_DIR)/bin/cargo-zigbuild" ] || \
	  python3 -m pip --version >/dev/null 2>&1 || { echo "installing pip (python3-pip) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-pip >/dev/null; }
	@[ -x "$(ZIG_DIR)/ziglang/zig" ] || { \
	  echo "installing zig $(ZIG_VERSION) (ziglang from PyPI) into $(ZIG_DIR)"; \
	  python3 -m pip install -q --target "$(ZIG_DIR)" ziglang==$(ZIG_VERSION); }
	@[ -x "$(ZIGBUILD_DIR)/bin/cargo-zigbuild" ] || { \
	  echo "installing cargo-zigbuild $(ZIGBUILD_VERSION) (PyPI) into $(ZIGBUILD_DIR)"; \
	  python3 -m pip install -q --no-deps --target "$(ZIGBUILD_DIR)" cargo-zigbuild==$(ZIGBUILD_VERSION) && \
	    [ -x "$(ZIGBUILD_DIR)/bin/cargo-zigbuild" ] || { \
	    echo "no cargo-zigbuild wheel for this machine: compiling it (cargo install)"; \
	    cargo install -q --locked cargo-zigbuild --version $(ZIGBUILD_VERSION) --root "$(ZIGBUILD_DIR)"; }; }

# Clippy on the same build: its build scripts' outputs (PROJ's, compiled by cmake) are the
# tests' (a plain `cargo clippy` would build PROJ again, with g++, for the host).
# Then the command line and the core without the desktop app (`--no-default-features`, as
# the ARM64 smoke build compiles them): ~40 s of CPU more, the crates whose features differ.
clippy: linux-deps
	$(ZIG_ENV) cargo-zigbuild clippy --release --all-targets --target $(LINUX_X64).$(LINUX_GLIBC) -- -D warnings
	$(ZIG_ENV) cargo-zigbuild clippy --release --no-default-features --lib --bins --target $(LINUX_X64).$(LINUX_GLIBC) -- -D warnings

# dist/gridmap_VERSION_amd64.deb and dist/org.gridmap.gridmap_VERSION_amd64.deb, from the
# program `make test` ran (packed again only when it or the packaging changed).
LINUX_DEBS := dist/gridmap_$(VERSION)_amd64.deb dist/org.gridmap.gridmap_$(VERSION)_amd64.deb
linux: linux-deps
	$(ZIG_TEST) --no-run
	@$(MAKE) --no-print-directory $(LINUX_DEBS)

$(LINUX_DEBS) &: target/$(LINUX_X64)/release/gridmap scripts/linux/package.sh scripts/third_party.py $(wildcard assets/linux/* assets/linux/icons/*) Cargo.lock
	bash scripts/linux/package.sh $(VERSION) amd64 target/$(LINUX_X64)/release

# The packages: readelf (glibc 2.28, no shared C++ runtime), dpkg-deb, lintian, desktop
# entries, and an install, run (the command line, and the window under Xvfb) and remove in
# a fresh Debian 12 (debootstrap; root only).
LINUX_TEST_PKGS := lintian desktop-file-utils debootstrap xvfb imagemagick poppler-utils
LINUX_TEST_TOOLS := command -v lintian >/dev/null 2>&1 && command -v desktop-file-validate >/dev/null 2>&1 && \
	  command -v debootstrap >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1 && \
	  command -v convert >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1
linux-test: linux
	@$(LINUX_TEST_TOOLS) || \
	  { echo "installing $(LINUX_TEST_PKGS) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(LINUX_TEST_PKGS) >/dev/null; }
	bash scripts/linux/deb-test.sh $(VERSION) amd64 $(LINUX_GLIBC)

# Linux ARM64 for UOS and Kylin on Kunpeng (鲲鹏) and Phytium (飞腾) (README, "Linux: UOS,
# Kylin, Debian"): the same build as `linux` (zig, glibc 2.28, PROJ and SQLite compiled for
# the target, the C++ runtime linked in) for aarch64. Rustup here cannot fetch the target's
# standard library, so Debian's Rust (rustc-web, cargo-web, rust-web-src: first on PATH)
# builds it, as for Windows. Packed as the two .deb files for arm64.
LINUX_ARM64 := aarch64-unknown-linux-gnu
ARM64_DIR := target/arm64/$(LINUX_ARM64)/release
ARM64_DEBS := dist/gridmap_$(VERSION)_arm64.deb dist/org.gridmap.gridmap_$(VERSION)_arm64.deb
ARM64_ENV := RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true \
	PATH="$(ZIG_DIR)/ziglang:$(ZIGBUILD_DIR)/bin:/usr/bin:$$HOME/.cargo/bin:$$PATH"

linux-arm64-deps: linux-deps
	@[ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v aarch64-linux-gnu-strip >/dev/null 2>&1 || \
	  { echo "installing the ARM64 build tools (rustc-web, cargo-web, rust-web-src, binutils-aarch64-linux-gnu) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq rustc-web cargo-web rust-web-src binutils-aarch64-linux-gnu >/dev/null; }

linux-arm64: linux-arm64-deps
	$(ARM64_ENV) cargo-zigbuild build --release -Zbuild-std=std,panic_abort --target $(LINUX_ARM64).$(LINUX_GLIBC) --target-dir target/arm64 --bins
	@$(MAKE) --no-print-directory $(ARM64_DEBS)

$(ARM64_DEBS) &: $(ARM64_DIR)/gridmap scripts/linux/package.sh scripts/third_party.py $(wildcard assets/linux/* assets/linux/icons/*) Cargo.lock
	bash scripts/linux/package.sh $(VERSION) arm64 $(ARM64_DIR)

# The ARM64 build under qemu-aarch64: its outputs equal the x86-64 build's (the one `make
# test` ran), then its packages checked as `linux-test` checks the x86-64 ones, the install
# into a fresh Debian and the window included (Debian's multiarch: the chroot gets arm64
# libraries and qemu-user, and runs the installed programs under qemu).
# qemu-aarch64 and Debian's arm64 C library, the root the ARM64 programs run on here.
ARM64_ROOT := /usr/aarch64-linux-gnu
ARM64_QEMU := command -v qemu-aarch64 >/dev/null 2>&1 && [ -e $(ARM64_ROOT)/lib/ld-linux-aarch64.so.1 ]
linux-arm64-test: linux-arm64
	@$(ARM64_QEMU) && $(LINUX_TEST_TOOLS) || \
	  { echo "installing qemu-user, libc6-arm64-cross, $(LINUX_TEST_PKGS) with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq qemu-user libc6-arm64-cross $(LINUX_TEST_PKGS) >/dev/null; }
	$(ZIG_TEST) --no-run
	bash scripts/linux/smoke-arm64.sh $(ARM64_DIR)
	bash scripts/linux/deb-test.sh $(VERSION) arm64 $(LINUX_GLIBC)

# The ARM64 smoke suite on a cheaper build, the one CI runs (.ci/run): the same code, target,
# toolchain and C parts (PROJ at -Os, SQLite) as `linux-arm64`, but the command line alone
# (`--no-default-features`: no desktop app, 36% fewer crates) at opt-level 1: 57% of the
# full build's CPU (docs/measurements.md, stop 56), for CI's hour on two cores, where a
# third full release build beside the other two did not fit. Its outputs must equal the
# x86-64 build's as the shipped ARM64 build's must. No packages: `make linux-arm64-test`
# builds, checks and installs those.
ARM64_SMOKE_DIR := target/arm64-smoke/$(LINUX_ARM64)/release
linux-arm64-cli: linux-arm64-deps
	$(ARM64_ENV) CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo-zigbuild build --release -Zbuild-std=std,panic_abort \
	  --target $(LINUX_ARM64).$(LINUX_GLIBC) --target-dir target/arm64-smoke --no-default-features --bin gridmap-cli

linux-arm64-smoke: linux-arm64-cli
	@$(ARM64_QEMU) || \
	  { echo "installing qemu-user, libc6-arm64-cross with apt-get"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq qemu-user libc6-arm64-cross >/dev/null; }
	$(ZIG_TEST) --no-run
	bash scripts/linux/smoke-arm64.sh $(ARM64_SMOKE_DIR)
	@out=$$(qemu-aarch64 -L $(ARM64_ROOT) $(ARM64_SMOKE_DIR)/gridmap-cli 2>&1; echo "exit $$?"); \
	  echo "$$out" | grep -q "no desktop app" && echo "$$out" | grep -qx "exit 2" && \
	  echo "  ok    without a subcommand, the command line alone says it has no desktop app (exit 2)" || \
	  { echo "$$out"; echo "  FAIL  gridmap-cli without a subcommand (built without the desktop app)"; exit 1; }
