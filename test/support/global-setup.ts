// Builds dist/ (and the bundled command) once before the tests, so CLI tests never run a stale build.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // For a developer who just built dist/ by hand; CI never sets it.
  if (process.env.CROSSROOT_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
