// The package's public entry point: `import { ... } from 'crossroot'` resolves through package.json.
import { describe, expect, it } from 'vitest';
import { runBuffer } from './support/cli.js';
import { REPO_ROOT } from './support/cli.js';

describe("import from 'crossroot'", () => {
  it('self-references the built library, as a user of the checkout would', async () => {
    const script = "import { compareVersions } from 'crossroot'; console.log(compareVersions('1.0~rc1', '1.0'), compareVersions('2:1', '10'));";
    const out = (await runBuffer('node', ['--input-type=module', '-e', script], { cwd: REPO_ROOT })).toString().trim();
    // dpkg --compare-versions: 1.0~rc1 lt 1.0; 2:1 gt 10 (the epoch wins).
    const lt = (await runBuffer('sh', ['-c', 'dpkg --compare-versions 1.0~rc1 lt 1.0 && dpkg --compare-versions 2:1 gt 10 && echo yes'])).toString().trim();
    expect(lt).toBe('yes');
    expect(out).toBe('-1 1');
  });

  it('npx crossroot --help answers', async () => {
    const out = (await runBuffer('npx', ['--no-install', 'crossroot', '--help'], { cwd: REPO_ROOT })).toString();
    expect(out).toMatch(/^Usage: crossroot COMMAND/);
    expect(out).toContain('inspect');
  });
});
