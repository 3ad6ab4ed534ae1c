// The shape of a bad-input failure as a user sees it: exit 3, one line "crossroot: ..." naming what is wrong, no stack trace.
import { expect } from 'vitest';

/**
 * Asserts exit 3 with a single error line (progress lines "get N/M ..." aside) that starts with
 * "crossroot: " and contains every one of `names`, and no stack trace anywhere.
 */
export function expectExit3Naming(r: { code: number; stderr: string }, ...names: string[]): void {
  expect(r.code, r.stderr).toBe(3);
  const errors = r.stderr.trim().split('\n').filter((l) => !/^get \d+\/\d+ /.test(l));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(/^crossroot: /);
  for (const name of names) expect(errors[0]).toContain(name);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
