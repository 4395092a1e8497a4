#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds two consumers against it:
# a CMake project using find_package(svsm_spec), and a C program using pkg-config.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/svsm_spec.h"
test -f "$tmp/prefix/share/svsm_spec/rust/svsm_spec.rs"
test -x "$tmp/prefix/bin/svsm-spec"

cmake -S "$src/tests/install_consumer" -B "$tmp/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer" "$src/spec"

cflags=$(PKG_CONFIG_PATH="$tmp/prefix/share/pkgconfig" pkg-config --cflags svsm_spec)
cc -std=c99 -Wall -Wextra -Werror -pedantic $cflags "$src/tests/install_consumer/consumer.c" \
  -o "$tmp/c_consumer"
"$tmp/c_consumer"
echo "install test OK"
