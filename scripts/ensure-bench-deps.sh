#!/usr/bin/env bash
# Installs what the real-program benchmark (bench/real) needs beyond
# scripts/ensure-deps.sh: valgrind (instruction counts), tcl (SQLite generates
# its amalgamation with tclsh), dpkg-dev (apt-get source unpacks with
# dpkg-source), for Emacs autoconf and automake (Debian's tree has no
# configure script), texinfo (its manuals) and libncurses-dev (a terminal
# build links a terminal library), and a deb-src entry for the Debian mirror
# apt already uses.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(valgrind tcl dpkg-dev autoconf automake texinfo libncurses-dev)
# A command each package provides, or (dev:) a package that provides none.
declare -A probe=(
  [valgrind]=valgrind [tcl]=tclsh [dpkg-dev]=dpkg-source [autoconf]=autoconf [automake]=aclocal
  [texinfo]=makeinfo [libncurses-dev]=dev:libncurses-dev
)
installed() {
  local p=$1
  if [[ $p == dev:* ]]; then
    dpkg-query -W -f='${Status}' "${p#dev:}" 2>/dev/null | grep -q ' installed$'
  else
    command -v "$p" >/dev/null 2>&1
  fi
}
missing=()
for pkg in "${debian_packages[@]}"; do
  if ! installed "${probe[$pkg]}"; then missing+=("$pkg"); fi
done

sources_dir=/etc/apt/sources.list.d
deb_src_file=$sources_dir/nix-pgo-deb-src.sources

# True when an enabled apt source already offers source packages.
has_deb_src() {
  grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list "$sources_dir"/*.list ||
    grep -qsiE '^Types:.*\bdeb-src\b' "$sources_dir"/*.sources
}

# deb-src entries mirroring the configured Debian entries of this release
# (suites starting with the release's codename), in deb822 form.
derive_deb_src() {
  local codename=$1
  # deb822 stanzas: keep those of type deb for this release, retyped as deb-src.
  for file in "$sources_dir"/*.sources; do
    [[ -e $file && $file != "$deb_src_file" ]] || continue
    awk -v codename="$codename" '
      function flush() {
        if (stanza != "" && isdeb && suitematch) { sub(/Types:[^\n]*/, "Types: deb-src", stanza); printf "%s\n", stanza }
        stanza = ""; isdeb = 0; suitematch = 0
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      {
        stanza = stanza $0 "\n"
        if ($1 == "Types:" && $0 ~ /[[:space:]]deb([[:space:]]|$)/) isdeb = 1
        if ($1 == "Suites:") for (i = 2; i <= NF; i++) if (index($i, codename) == 1) suitematch = 1
      }
      END { flush() }
    ' "$file"
  done
  # One-line entries: "deb [options] URI SUITE COMPONENTS".
  for file in /etc/apt/sources.list "$sources_dir"/*.list; do
    [[ -e $file ]] || continue
    awk -v codename="$codename" '
      $1 == "deb" {
        uri = 2; if ($2 ~ /^\[/) { while ($uri !~ /\]$/) uri++; uri++ }
        if (index($(uri + 1), codename) != 1) next
        printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $uri, $(uri + 1)
        for (i = uri + 2; i <= NF; i++) printf " %s", $i
        printf "\n\n"
      }
    ' "$file"
  done
}

need_deb_src=0
has_deb_src || need_deb_src=1

if ((${#missing[@]} == 0 && need_deb_src == 0)); then exit 0; fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  ((${#missing[@]})) && echo "nix-pgo bench: missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  ((need_deb_src)) && echo "nix-pgo bench: apt has no deb-src entry; add one for your Debian mirror to fetch the benchmark's sources" >&2
  exit 69
fi

if ((need_deb_src)); then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [[ -z $codename ]]; then
    echo "nix-pgo bench: /etc/os-release names no VERSION_CODENAME; add a deb-src entry by hand" >&2
    exit 69
  fi
  entries=$(derive_deb_src "$codename")
  if [[ -z $entries ]]; then
    echo "nix-pgo bench: found no Debian '$codename' entry in apt's sources to derive a deb-src entry from" >&2
    exit 69
  fi
  echo "nix-pgo bench: adding deb-src entries to $deb_src_file" >&2
  printf '# Added by nix-pgo scripts/ensure-bench-deps.sh: source packages for the benchmark.\n%s\n' "$entries" >"$deb_src_file"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
if ((${#missing[@]})); then
  echo "nix-pgo bench: installing Debian packages: ${missing[*]}" >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi
