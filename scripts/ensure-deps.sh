#!/usr/bin/env bash
# Installs what nix-pgo's tests and demo need, or stops naming what is missing.
# Debian packages come from apt-get (as root); npm packages from `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# clang-15 and llvm-15: the upgrade tests change a package's compiler from one clang to the other.
debian_packages=(nix-bin clang-16 llvm-16 lld-16 bolt-16 clang-15 llvm-15 gcc binutils g++ make valgrind)
# The command each package provides; used to see what is already there.
declare -A probe=(
  [nix-bin]=nix-build [clang-16]=clang-16 [llvm-16]=llvm-profdata-16 [lld-16]=ld.lld-16
  [bolt-16]=/usr/lib/llvm-16/bin/llvm-bolt [clang-15]=clang-15 [llvm-15]=llvm-profdata-15 [gcc]=gcov-tool-12 [binutils]=readelf
  [g++]=g++ [make]=make [valgrind]=valgrind
  [debootstrap]=/usr/sbin/debootstrap [systemd-container]=/usr/bin/systemd-nspawn [iproute2]=/usr/sbin/ip
)
# The host tests (test/host/) boot containers, which only root can; other users skip them and need not install these.
if [[ $(id -u) -eq 0 ]]; then debian_packages+=(debootstrap systemd-container iproute2); fi
missing=()
for pkg in "${debian_packages[@]}"; do
  if ! command -v "${probe[$pkg]}" >/dev/null 2>&1; then missing+=("$pkg"); fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "nix-pgo: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "nix-pgo: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install ${missing[*]}" >&2
    exit 69
  fi
fi


if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "nix-pgo: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

# The record-lock addon (native/) is built by the package's install script; rebuilt when its source is newer (a checkout that changed it).
if [[ ! -f build/Release/record_lock.node || native/record_lock.c -nt build/Release/record_lock.node ]]; then
  echo "nix-pgo: building the record-lock addon (npm run install)" >&2
  npm run install >&2
fi
