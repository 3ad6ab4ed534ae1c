// The host's Debian architecture — the default --arch, as dpkg --print-architecture names it.
import { ARCHITECTURES } from './architectures.js';

/** The Debian name of the architecture this Node runs on. */
export function hostArchitecture(): string {
  for (const a of ARCHITECTURES.values()) if (a.node === process.arch) return a.debian;
  return process.arch;
}
