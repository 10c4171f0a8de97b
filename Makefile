# The two commands of the README, and a few for developers.
#
#   make run     install what is missing, build, start Visor on ./visor.db
#   make test    install what is missing, build, run every test
#   make format  rewrite the sources with the pinned clang-format
#   make bench   measure Visor against nginx (see bench/README.md)
#   make sanitize  every test again with AddressSanitizer and UBSan

BUILD      ?= build
DB         ?= sqlite:visor.db
LISTEN     ?= 127.0.0.1:8080
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages: compiler and build, libraries, test tools.
PACKAGES := gcc make pkg-config meson ninja-build \
	libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libcjose-dev uuid-dev \
	libcriterion-dev libcurl4-openssl-dev clang-format sqlite3 curl
BENCH_PACKAGES := wrk nginx-light nodejs

.PHONY: all deps build run test format format-check bench sanitize clean

all: build

deps:
	@PKGS="$(PACKAGES) $(EXTRA_PACKAGES)" ./scripts/install-deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

run: build
	@./scripts/run.sh $(BUILD)/visor "$(DB)" "$(LISTEN)"

test: build
	@./scripts/test.sh $(BUILD)

format:
	@clang-format -i src/*.c src/*.h tests/*/*.c tests/*/*.h

format-check:
	@clang-format --dry-run -Werror src/*.c src/*.h tests/*/*.c tests/*/*.h

bench:
	@$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	@$(MAKE) --no-print-directory build
	@./bench/run.sh $(BUILD)/visor

sanitize: deps
	@test -f build-asan/build.ninja || \
		meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug >/dev/null
	@ninja -C build-asan
	@meson test -C build-asan --print-errorlogs --num-processes 2

clean:
	rm -rf $(BUILD) build-asan
