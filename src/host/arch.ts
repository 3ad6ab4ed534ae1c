// The host's Debian architecture — the default --arch, as dpkg --print-architecture names it.

const NODE_TO_DEBIAN: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: 'i386',
  arm: 'armhf',
  s390x: 's390x',
  ppc64: 'ppc64el',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips64el: 'mips64el',
};

/** The Debian name of the architecture this Node runs on. */
export function hostArchitecture(): string {
  return NODE_TO_DEBIAN[process.arch] ?? process.arch;
}
