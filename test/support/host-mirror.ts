// The host's Debian mirror for tests — apt's own parse of its sources (`apt-get indextargets`).
import { runBuffer } from './cli.js';

/** The archive URI apt uses for `release` (e.g. bookworm, bookworm-security). */
export async function hostArchiveUri(release: string): Promise<string> {
  const out = (await runBuffer('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE)', 'Identifier: Packages'])).toString();
  for (const line of out.split('\n')) {
    const [uri, rel] = line.split(' ');
    if (rel === release && uri) return uri.replace(/\/$/, '');
  }
  throw new Error(`the host's apt sources have no ${release} (run apt-get update?)`);
}
