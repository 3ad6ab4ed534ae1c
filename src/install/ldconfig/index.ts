// ld.so.cache writer for foreign roots — named re-exports only.
export { archProfile, LDCONFIG_ARCHES, type ArchProfile } from './arch-profile.js';
export { buildCacheFile, finalizeStrings, libcmp, type CacheEntry, type CacheInput } from './cache-file.js';
export { classifyLibrary, type LibraryInfo } from './elf-library.js';
export { installLdSoCache, isDso, ldconfigGenerator, writeLdSoCache } from './ld-so-cache.js';
