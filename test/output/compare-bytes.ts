// `cmp` as the judge of "byte for byte", with a listing diff to say where when it fails.
import { run } from '../support/cli.js';

/** Lists a (possibly compressed) tarball with GNU tar, verbosely, xattrs included. */
async function listing(tarball: string): Promise<string[]> {
  const r = await run('tar', ['--xattrs', '--full-time', '-tvvf', tarball], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  return r.stdout.split('\n');
}

/** `undefined` if the two files are identical, else cmp's verdict and the first listing lines that differ. */
export async function byteDifference(ours: string, theirs: string): Promise<string | undefined> {
  const r = await run('cmp', [ours, theirs]);
  if (r.code === 0) return undefined;
  const verdict = (r.stdout + r.stderr).trim();
  if (!/\.(tar|tgz|txz|tzst|gz|xz|zst)$/.test(ours)) return verdict;
  const [a, b] = await Promise.all([listing(ours), listing(theirs)]);
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && diffs.length < 10; i++) {
    if (a[i] !== b[i]) diffs.push(`ours:   ${a[i] ?? '(end)'}\ntheirs: ${b[i] ?? '(end)'}`);
  }
  return `${verdict}\n${diffs.join('\n') || '(listings equal: the difference is in header fields tar -tv does not show)'}`;
}
