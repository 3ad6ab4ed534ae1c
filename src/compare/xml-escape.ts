// XML/HTML escaping — character data and attribute values (XML 1.0 §2.2, §2.4; HTML "escaping a string").

/**
 * Escapes text for XML or HTML character data and quoted attribute values. Characters XML 1.0
 * forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become a visible
 * `\xNN`/`\uNNNN`, since no escape can carry them.
 *
 * @example
 * escapeXml('<a href="x">&</a>') // '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&#39;';
      default: {
        const code = c.charCodeAt(0);
        return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
      }
    }
  });
}
