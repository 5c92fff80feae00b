/** Shortest value treated as a secret: shorter strings would match ordinary text by chance. */
const MIN_SECRET_LENGTH = 16;

/** Fields of service results that hold a plaintext the caller must keep secret. */
const SECRET_FIELDS = ['accessToken', 'refreshToken', 'code', 'consumerSecret'] as const;

interface Exposure {
  where: string;
  text: string;
}

/**
 * Collects every plaintext token, code and secret a test run issued, and everything that left the
 * library in a place where secrets must never appear: event payloads, error messages (with their
 * causes) and console output. `leaks()` reports each place that contains an issued plaintext, naming
 * the kind of value, never the value itself.
 */
export class SecrecyRecorder {
  readonly #plaintexts = new Map<string, string>();
  #ofCurrentTest = new Map<string, string>();
  readonly #exposures: Exposure[] = [];
  readonly #found = new Set<string>();
  #plaintextsChecked = 0;
  #exposuresChecked = 0;

  /** Starts a new test: {@link plaintextsOfCurrentTest} is emptied. */
  beginTest(): void {
    this.#ofCurrentTest = new Map();
  }

  recordPlaintext(label: string, value: unknown): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
    this.#plaintexts.set(value, label);
    this.#ofCurrentTest.set(value, label);
  }

  /** Records the secrets in a service result (issued tokens, codes, registered clients, a new secret). */
  recordResult(method: string, result: unknown): void {
    if (typeof result === 'string') {
      this.recordPlaintext(`${method} result`, result);
      return;
    }
    if (result === null || typeof result !== 'object') return;
    const fields = result as Record<string, unknown>;
    for (const field of SECRET_FIELDS) this.recordPlaintext(field, fields[field]);
  }

  recordError(error: unknown, where = 'error'): void {
    let current: unknown = error;
    for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
      if (current instanceof Error) {
        this.#exposures.push({
          where: depth === 0 ? `${where} message` : `${where} cause message`,
          text: `${current.name}: ${current.message}`,
        });
        current = current.cause;
      } else {
        this.#exposures.push({ where: `${where} (not an Error)`, text: stringify(current) });
        return;
      }
    }
  }

  recordExposure(where: string, payload: unknown): void {
    this.#exposures.push({ where, text: stringify(payload) });
  }

  /** The plaintexts issued since the current test began, with what each is. */
  plaintextsOfCurrentTest(): ReadonlyMap<string, string> {
    return this.#ofCurrentTest;
  }

  get plaintextCount(): number {
    return this.#plaintexts.size;
  }

  get exposureCount(): number {
    return this.#exposures.length;
  }

  /** Where an issued plaintext appeared, e.g. `accessToken found in event security`; empty when none did. */
  leaks(): string[] {
    // Incremental: earlier plaintexts against new exposures, new plaintexts against all exposures.
    const plaintexts = [...this.#plaintexts];
    this.#search(plaintexts.slice(0, this.#plaintextsChecked), this.#exposures.slice(this.#exposuresChecked));
    this.#search(plaintexts.slice(this.#plaintextsChecked), this.#exposures);
    this.#plaintextsChecked = plaintexts.length;
    this.#exposuresChecked = this.#exposures.length;
    return [...this.#found];
  }

  #search(plaintexts: ReadonlyArray<[string, string]>, exposures: readonly Exposure[]): void {
    if (plaintexts.length === 0 || exposures.length === 0) return;
    const all = exposures.map((exposure) => exposure.text).join('\n');
    for (const [value, label] of plaintexts) {
      if (!all.includes(value)) continue;
      for (const exposure of exposures) if (exposure.text.includes(value)) this.#found.add(`${label} found in ${exposure.where}`);
    }
  }
}

/** Best-effort text of any value: JSON with bigint and binary support, falling back to String(). */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message, cause: v.cause };
        return v;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
