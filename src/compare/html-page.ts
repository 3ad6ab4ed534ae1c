// The head of crossroot's HTML pages — self-contained (inline CSS), no scripts, and a
// Content-Security-Policy that forbids loading anything.

import { escapeXml as esc } from './xml-escape.js';

/**
 * The lines from the doctype to `</head>` of a page titled `title` with stylesheet `style`.
 *
 * @example
 * const out = [...htmlHead('crossroot summary', STYLE), '<body>', ...];
 */
export function htmlHead(title: string, style: string): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
  ];
}
