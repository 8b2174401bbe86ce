#!/usr/bin/env bash
# Makes the Debian 12 root that test/support/systemd-host.ts boots as containers:
# systemd, dbus, PAM login sessions, Nix, and the toolchain the example stdenv
# calls. Made once per recipe (the caller names the image after a hash of this
# file) into CACHE/images/ID/root; CACHE/images/ID/ready marks it complete.
#
# Usage: make-host-image.sh CACHE ID
#   NIX_PGO_HOST_IMAGE_NO_APT_CACHE=1  do not seed the .deb cache from the host's apt cache (to measure a cold make)
set -euo pipefail
cache=$1
id=$2
images=$cache/images
image=$images/$id
debs=$cache/debs
mkdir -p "$images" "$debs"

# One maker at a time: a second test process waits here, then finds the image ready.
exec 9>"$images/.lock"
flock 9
if [[ -e $image/ready ]]; then exit 0; fi
rm -rf "$image" # what a killed make left
mkdir -p "$image"
root=$image/root
started=$SECONDS

# The toolchain is scripts/ensure-deps.sh's list without valgrind, plus the profile
# and BOLT runtimes the host gets as recommended packages (none are installed here);
# the rest makes PAM login sessions (pam_systemd, pam_env), user managers with a
# session bus, and the tools tests drive a host with.
packages=(
  nix-bin nix-setup-systemd clang-16 llvm-16 lld-16 bolt-16 gcc g++ binutils make xz-utils
  libclang-rt-16-dev libbolt-16-dev
  libpam-modules libpam-systemd libnss-systemd dbus-user-session login passwd sudo acl procps iproute2 util-linux curl
)

# Packages the host installed are in its apt cache; linking them into ours (one
# file system) or copying them saves downloading what the host already fetched.
if [[ ${NIX_PGO_HOST_IMAGE_NO_APT_CACHE:-} != 1 && -d /var/cache/apt/archives ]]; then
  shopt -s nullglob
  for deb in /var/cache/apt/archives/*.deb; do
    target=$debs/${deb##*/}
    [[ -e $target ]] || ln "$deb" "$target" 2>/dev/null || cp "$deb" "$target"
  done
  shopt -u nullglob
fi

# The host's own Debian 12 mirrors (main, updates, security) when it has them, so the
# versions match what the host cached; else debootstrap's default mirror.
sources=()
if command -v apt-get >/dev/null; then
  mapfile -t sources < <(
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Origin: Debian' 'Created-By: Packages' 'Component: main' 2>/dev/null |
      awk '$2 == "bookworm" || $2 == "bookworm-updates" || $2 == "bookworm-security"' | sort -u
  )
fi
mirror=()
for entry in "${sources[@]}"; do
  if [[ ${entry#* } == bookworm ]]; then mirror=("${entry%% *}"); fi
done

# Inside a container that is not booted: nspawn mounts /proc, /dev and /sys and
# shares the host's network for the download; the .deb cache is the archive directory.
in_root() {
  systemd-nspawn -D "$root" --machine="make-host-image-$$" --register=no --keep-unit --console=pipe --quiet \
    --bind="$debs:/var/cache/apt/archives" -E DEBIAN_FRONTEND=noninteractive -- "$@" >&2
}

echo "make-host-image: debootstrap into $root" >&2
debootstrap --foreign --variant=minbase --include=systemd,systemd-sysv,dbus --cache-dir="$debs" bookworm "$root" "${mirror[@]}" >&2
# debootstrap links /proc to this machine's when it believes it runs in Docker; nspawn mounts a real one.
if [[ -L $root/proc ]]; then rm "$root/proc" && mkdir "$root/proc"; fi
# No fsync after each file dpkg unpacks (slow on a busy disk): a make that dies is redone from scratch anyway.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/make-host-image"
in_root /debootstrap/debootstrap --second-stage
if ((${#sources[@]})); then
  for entry in "${sources[@]}"; do echo "deb ${entry% *} ${entry#* } main"; done >"$root/etc/apt/sources.list"
fi

echo "make-host-image: debootstrap took $((SECONDS - started)) s; apt-get install ${packages[*]}" >&2
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "${packages[@]}"
rm "$root/etc/dpkg/dpkg.cfg.d/make-host-image"
# The image is shared read-only by every test: no download lists, no logs of its making.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/apt/* "$root"/var/cache/apt/*.bin
# Empty: systemd gives each boot its own machine ID (what `%m` expands to).
: >"$root/etc/machine-id"
# debootstrap copied the host's name and resolver; each container gets its own name (and no resolver).
rm -f "$root/etc/hostname"
: >"$root/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# pam_env reads it at each login; without it every session logs that it is missing.
echo 'LANG=C.UTF-8' >"$root/etc/default/locale"
# Containers have no way out: asking the default binary cache only adds retries. Tests name their own caches.
echo 'substituters =' >>"$root/etc/nix/nix.conf"

touch "$image/ready" "$image/last-used"
echo "make-host-image: made $image in $((SECONDS - started)) s" >&2

# Images of other recipes that no test used for a week.
find "$images" -mindepth 2 -maxdepth 2 -name last-used -mtime +7 -printf '%h\n' | while read -r old; do
  if [[ $old != "$image" ]]; then rm -rf "$old"; fi
done
