import type { z } from 'zod';

/** One validation problem, with the full path to the value that is wrong. */
export interface ConfigIssue {
  /** The path as written in messages, e.g. `config['@hypermesh/plugin-dns-ct'].cache.maxEntries`. */
  path: string;
  /** What is wrong, e.g. `Invalid input: expected number, received string`. */
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a path as JavaScript would access it: `a.b[0]['x-y']`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment)).replace(/^"|"$/g, "'")}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Turns zod issues into path + message pairs, prefixing every path with `root`. */
export function issuesFromZod(root: string, error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(root, issue.path), message: issue.message }));
}

/** A bulleted list of issues for an error message. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
}
