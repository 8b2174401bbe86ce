/**
 * The Nix system string (`x86_64-linux`) of the machine nix-pgo runs on,
 * written into each lock entry so that a pure evaluation (a flake, which has
 * no `builtins.currentSystem`) makes the same derivation of a locked profile
 * as the daemon's impure one (nix/locked-profile.nix).
 */

/** Node's `process.arch` → the CPU part of a Nix system; absent where the mapping is not one to one. */
const CPU: Readonly<Record<string, string>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  riscv64: 'riscv64',
  s390x: 's390x',
  loong64: 'loongarch64',
};

/** Node's `process.platform` → the kernel part of a Nix system. */
const KERNEL: Readonly<Record<string, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
};

/**
 * The Nix system for a Node architecture and platform, or null when there is
 * no unambiguous one (32-bit ARM, whose Nix systems differ by ARM version, big-
 * and little-endian POWER): a lock entry then has no `system`, and
 * evaluations use their own, as before the field existed (pure).
 */
export function nixSystemOf(arch: string, platform: string): string | null {
  const cpu = CPU[arch];
  const kernel = KERNEL[platform];
  return cpu !== undefined && kernel !== undefined ? `${cpu}-${kernel}` : null;
}

/** The Nix system of this machine, or null (see nixSystemOf). */
export function currentNixSystem(): string | null {
  return nixSystemOf(process.arch, process.platform);
}
