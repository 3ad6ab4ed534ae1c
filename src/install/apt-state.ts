// apt's extended_states — which packages apt installed automatically (apt-pkg/depcache.cc writeStateFile).

/** apt 2.6's default `APT::Cache-HashTableSize`. */
const HASH_TABLE_SIZE = 196613;

/** apt's package-name hash (pkgCache::sHash): djb2 over the lower-cased name, modulo the table size. */
export function aptNameHash(name: string): number {
  let h = 5381;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    h = (Math.imul(h, 33) + c) >>> 0;
  }
  return h % HASH_TABLE_SIZE;
}

/**
 * The text apt writes to `var/lib/apt/extended_states` when it creates it: one stanza per
 * automatically installed package, in the order apt walks its package hash table (bucket
 * order; names sorted within a bucket), `Architecture:` the native one also for
 * `Architecture: all` packages. An empty set gives an empty file, as apt leaves it.
 *
 * @example
 * extendedStates(['libc6-dev', 'gcc'], 'amd64') // "Package: gcc\nArchitecture: amd64\nAuto-Installed: 1\n\n..."
 */
export function extendedStates(auto: Iterable<string>, nativeArch: string): string {
  const names = [...new Set(auto)].sort((a, b) => aptNameHash(a) - aptNameHash(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => `Package: ${n}\nArchitecture: ${nativeArch}\nAuto-Installed: 1\n\n`).join('');
}
