// deb822 paragraphs — deb822(5): fields keep their case and order, names match case-insensitively.

/** One field as written: its name in original case, its value, and the line it started on. */
export interface Field {
  name: string;
  value: string;
  line: number;
}

/**
 * An ordered deb822 paragraph. Lookup is case-insensitive; iteration keeps file order.
 *
 * Values are stored as dpkg's parser (`lib/dpkg/parse.c`) keeps them, and as `dpkg-deb -f`
 * prints them: blanks after the colon skipped, continuation lines kept verbatim (with their
 * leading blank) joined by "\n", trailing whitespace of the whole value removed.
 */
export class Paragraph {
  readonly #fields: Field[] = [];
  readonly #index = new Map<string, number>();
  /** Line number of the paragraph's first field (1-based), for error messages. */
  readonly line: number;

  constructor(fields: Iterable<Field> = [], line = 1) {
    this.line = line;
    for (const f of fields) this.set(f.name, f.value, f.line);
  }

  get size(): number {
    return this.#fields.length;
  }

  /** The value of a field, or undefined when it is absent. */
  get(name: string): string | undefined {
    const i = this.#index.get(name.toLowerCase());
    return i === undefined ? undefined : this.#fields[i]!.value;
  }

  /** The field record (name in original case, line number), or undefined. */
  field(name: string): Field | undefined {
    const i = this.#index.get(name.toLowerCase());
    return i === undefined ? undefined : this.#fields[i];
  }

  has(name: string): boolean {
    return this.#index.has(name.toLowerCase());
  }

  /** Sets a field; an existing one keeps its place and its original name. */
  set(name: string, value: string, line = 0): void {
    const key = name.toLowerCase();
    const i = this.#index.get(key);
    if (i === undefined) {
      this.#index.set(key, this.#fields.length);
      this.#fields.push({ name, value, line });
    } else {
      const old = this.#fields[i]!;
      this.#fields[i] = { name: old.name, value, line: line || old.line };
    }
  }

  /** Fields in file order. */
  fields(): readonly Field[] {
    return this.#fields;
  }

  /** Plain object in field order (later duplicates never occur: set() replaces in place). */
  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const f of this.#fields) o[f.name] = f.value;
    return o;
  }
}
