// crossroot's public API — named re-exports only (STYLE rule 2).

export { CrossrootError, exitCodeFor, type ErrorCode, type ErrorContext } from './errors.js';
export { readAr, type ArHeader, type ArMember } from './formats/ar.js';
export { ByteReader, type ByteSource } from './formats/byte-source.js';
export { compressionOf, pureDecompressor, type Compression, type Decompressor } from './formats/compression.js';
export { Paragraph, type Field } from './formats/deb822/paragraph.js';
export { Deb822Parser, parseDeb822, parseSingleParagraph, formatDeb822 } from './formats/deb822/parse.js';
export { compareVersions, parseVersion, formatVersion, satisfiesConstraint, type DebianVersion, type VersionRelation } from './formats/control/version.js';
export { parseRelations, formatRelation, formatRelations, type Relation, type RelationOp, type VersionConstraint } from './formats/control/dependency.js';
export { splitClearsigned, type ClearsignedMessage } from './formats/index/clearsigned.js';
export { parseRelease, type Release, type ReleaseFile } from './formats/index/release.js';
export { readPackages, toPackageRecord, type PackageRecord } from './formats/index/packages.js';
export { readTar, type TarMember } from './formats/tar/read.js';
export type { TarEntry, TarEntryType } from './formats/tar/entry.js';
export { readDeb, type DebControl, type ControlMember, type ReadDebOptions } from './formats/deb/read.js';
export { inspectDeb, MAINTAINER_SCRIPTS, type Inspection, type InspectedFile } from './formats/deb/inspect.js';
export { hostDecompressor } from './host/decompress.js';
export { Cache, defaultCacheDir } from './repository/cache.js';
export { hostSources, parseSourcesList, parseDeb822Sources, parseMirrorArgument, sourcesForSuite, type SourceEntry } from './repository/sources.js';
export { loadArchive, type LoadedArchive } from './repository/load.js';
export { PackageIndex } from './resolve/package-index.js';
export { resolveClosure, chainTo, type Resolution, type Reason, type Seed } from './resolve/closure.js';
export { aptPolicy, type Policy } from './resolve/policy.js';
export { variantSeeds, VARIANTS, type Variant } from './resolve/seeds.js';
export { installPlan, aptInstallRun, type InstallPlan, type InstallPlanOptions, type AptRun, type DpkgStep } from './resolve/order.js';
export { formatLock, parseLock, type Lock, type LockedPackage } from './resolve/lockfile.js';
export { resolveSuite, type ResolveOptions, type Resolved } from './pipeline/resolve.js';
