#!/usr/bin/env bash
# Builds test/interop/crate-reader (`crate-buffer`, a stand-in for the Rust crate's buffer
# reader and writer) for the cross-language tests (test/unit/interop.test.ts), offline, from the
# crates Debian packages (serde, serde_derive, serde_json, chrono under /usr/share/cargo/registry).
# Installs those packages (and Debian's cargo when there is none) when missing, as root or with
# sudo. Everything cargo keeps lives in the cache, outside the clone and outside ~/.cargo:
#   <cache>/cargo-home             CARGO_HOME, with the source replacement crates.io -> Debian
#   <cache>/crate-reader-target    CARGO_TARGET_DIR: a second run with unchanged sources is a
#                                  no-op (cargo's own freshness check, well under a second)
# where <cache> is $NEXUS_TEST_TOOLS_CACHE, else ~/.cache/nexus-buffer (as setup-tools.sh).
# Prints the binary's path on the last line.
#
#   setup-rust.sh [--install-only]   --install-only: the apt part alone (CI runs it before its
#                                    background jobs: two apt-gets at once fail on apt's lock)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project="$here/../interop/crate-reader"
CACHE=${NEXUS_TEST_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-buffer}
REGISTRY=/usr/share/cargo/registry
PACKAGES=(librust-serde-dev librust-serde-derive-dev librust-serde-json-dev librust-chrono-dev)

find_cargo() { command -v cargo 2>/dev/null || { [ -x "$HOME/.cargo/bin/cargo" ] && echo "$HOME/.cargo/bin/cargo"; } || true; }

missing=()
for package in "${PACKAGES[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
cargo=$(find_cargo)
[ -n "$cargo" ] || missing+=(cargo)
# apt-get refuses at once when another apt holds its lock (in CI, setup-tools.sh runs beside
# this): wait for it and try again; any other failure stops here.
apt_get() {
  local log tries=0 status
  log=$(mktemp)
  while true; do
    status=0
    $SUDO apt-get -o DPkg::Lock::Timeout=300 "$@" >&2 2>"$log" || status=$?
    cat "$log" >&2
    [ "$status" != 0 ] || break
    if ! grep -q -e 'Could not get lock' -e 'Unable to lock' "$log" || [ "$((tries += 1))" -gt 100 ]; then
      rm -f "$log"
      return "$status"
    fi
    echo "apt is busy (another install), trying again in 3 s" >&2
    sleep 3
  done
  rm -f "$log"
}
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  echo "installing ${missing[*]} (apt)" >&2
  apt_get update -q && apt_get install -y -q --no-install-recommends "${missing[@]}"
  cargo=$(find_cargo)
  [ -n "$cargo" ] || { echo "setup-rust.sh: no cargo after installing Debian's cargo package" >&2; exit 1; }
fi

[ "${1:-}" != --install-only ] || exit 0

export CARGO_HOME="$CACHE/cargo-home" CARGO_TARGET_DIR="$CACHE/crate-reader-target"
# The rustup proxy in ~/.cargo/bin finds its toolchains through RUSTUP_HOME, which defaults to a
# place under the old CARGO_HOME's parent (~/.rustup): keep pointing there.
[ -n "${RUSTUP_HOME:-}" ] || [ ! -d "$HOME/.rustup" ] || export RUSTUP_HOME="$HOME/.rustup"
mkdir -p "$CARGO_HOME"
cat > "$CARGO_HOME/config.toml.new" <<EOF
# Written by test/harness/setup-rust.sh: crates come from Debian's packages only, offline.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$REGISTRY"

[net]
offline = true
EOF
mv "$CARGO_HOME/config.toml.new" "$CARGO_HOME/config.toml"

echo "$("$cargo" --version) building crate-buffer into $CARGO_TARGET_DIR" >&2
started=$SECONDS
# --locked: Cargo.lock is committed; a Debian point release that changes a crate's version
# fails here, loudly, instead of rewriting the tracked file in CI (update it with
# `cargo update --offline` under the same CARGO_HOME).
"$cargo" build --release --offline --locked --quiet --manifest-path "$project/Cargo.toml" >&2
echo "crate-buffer ready in $((SECONDS - started)) s" >&2
echo "$CARGO_TARGET_DIR/release/crate-buffer"
