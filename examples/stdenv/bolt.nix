# BOLT of the host's LLVM 16 (Debian package bolt-16) as a store path laid out
# like nixpkgs' llvmPackages.bolt: bin/llvm-bolt, bin/merge-fdata and the
# instrumentation runtime lib/libbolt_rt_instr.a. Debian's llvm-bolt looks for
# its runtime next to the name it was called by (../lib); through the
# /usr/bin/llvm-bolt-16 symlink that is /usr/lib, where it is not, so the links
# here point into /usr/lib/llvm-16 and the runtime sits where bin/../lib finds it.
{ system ? builtins.currentSystem }:
derivation {
  name = "bolt-16-host";
  inherit system;
  builder = "/bin/sh";
  args = [
    "-c"
    ''
      set -e
      /bin/mkdir -p $out/bin $out/lib
      /bin/ln -s /usr/lib/llvm-16/bin/llvm-bolt $out/bin/llvm-bolt
      /bin/ln -s /usr/lib/llvm-16/bin/merge-fdata $out/bin/merge-fdata
      /bin/ln -s /usr/lib/llvm-16/lib/libbolt_rt_instr.a $out/lib/libbolt_rt_instr.a
    ''
  ];
}
