import { stripUrlCredentials } from './strip-url-credentials';

/**
 * The one place secrets are blanked out of text the provider produces: log
 * lines, error messages, diagnostics, and the output of provisioning
 * commands as it streams. Bridges and the core feed one `SecretRedactor`
 * with the values schema.json marks secret (the API key, VM private keys,
 * `environment` values, file contents) and with anything an engine hands
 * over as a secret; every text passes `redact` (whole messages) or a
 * `RedactingStream` (command output, where a secret may arrive split over
 * chunks and lines).
 */

export const REDACTED = '[REDACTED]';

/** A Vers API key: a UUID key id followed by 64 hex digits, the secret half. */
export const API_KEY_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}[0-9a-fA-F]{64}$/;

/** Shorter values are too likely to occur by chance (`true`, `8080`) to be blanked. */
const MIN_SECRET_LENGTH = 6;
/** Lines of a multi-line secret at least this long are blanked on their own too (a partly printed key or file). */
const MIN_LINE_LENGTH = 16;
/**
 * Output is held back while its end could be the start of a secret; secrets
 * longer than this are matched in output by their lines only, so that what
 * is held back stays small.
 */
const MAX_STREAM_SECRET_LENGTH = 16_384;

export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private longestFirst: string[] | undefined;

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.remember(secret);
  }

  /** Blank `value` (and the parts of it that identify it alone) from now on. Non-strings and short strings are ignored. */
  remember(value: unknown): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
    const before = this.secrets.size;
    this.secrets.add(value);
    // The secret half of an API key identifies the key alone.
    if (API_KEY_PATTERN.test(value)) this.secrets.add(value.slice(36));
    if (value.includes('\n')) {
      for (const line of value.split('\n')) if (line.trim().length >= MIN_LINE_LENGTH) this.secrets.add(line.trim());
    }
    if (this.secrets.size !== before) this.longestFirst = undefined;
  }

  /** Remember every secret another redactor knows. */
  rememberAll(other: SecretRedactor): void {
    for (const secret of other.secrets) this.remember(secret);
  }

  /**
   * `text` with every remembered secret (also JSON-quoted, as messages
   * quote values) replaced by `[REDACTED]`, longest first so that a secret
   * containing another goes whole; then bearer tokens, PEM private keys and
   * URL credentials, whoever they belong to.
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.sorted()) {
      out = replaceAll(out, secret);
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (quoted !== secret) out = replaceAll(out, quoted);
    }
    // Real tokens are long; "bearer token" in a server message must survive.
    out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, `$1${REDACTED}`);
    out = out.replace(/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g, `${REDACTED} private key`);
    return stripUrlCredentials(out);
  }

  /** A stream that passes text on to `emit` with the secrets known now blanked, wherever chunks and lines split them. */
  stream(emit: (text: string) => void): RedactingStream {
    return new RedactingStream(
      this.sorted().filter((secret) => secret.length <= MAX_STREAM_SECRET_LENGTH),
      emit,
    );
  }

  private sorted(): string[] {
    this.longestFirst ??= [...this.secrets].sort((a, b) => b.length - a.length);
    return this.longestFirst;
  }
}

/**
 * Redaction over a stream of text (a command's stdout or stderr). A secret
 * printed in pieces (`cat` of a multi-line secret, output flushed mid-value)
 * is only whole across chunks, so text is emitted only up to where a secret
 * might still begin; the rest waits for the next chunk or `end()`.
 */
export class RedactingStream {
  private pending = '';

  constructor(
    /** Longest first. */
    private readonly secrets: readonly string[],
    private readonly emit: (text: string) => void,
  ) {}

  push(text: string): void {
    const buffer = this.pending + text;
    const safe = this.safeLength(buffer);
    this.pending = buffer.slice(safe);
    if (safe > 0) this.emit(this.replace(buffer.slice(0, safe)));
  }

  /** Emit what is held back: the stream ended, so no secret can complete it any more. */
  end(): void {
    const rest = this.pending;
    this.pending = '';
    if (rest !== '') this.emit(this.replace(rest));
  }

  /**
   * How much of `buffer` can go out now: everything before the earliest
   * position where the rest is the beginning of a secret, moved back before
   * any whole secret that would otherwise be cut in two.
   */
  private safeLength(buffer: string): number {
    let safe = buffer.length;
    for (const secret of this.secrets) {
      const first = secret[0] as string;
      for (let at = buffer.indexOf(first, Math.max(0, buffer.length - secret.length + 1)); at !== -1 && at < safe; at = buffer.indexOf(first, at + 1)) {
        if (secret.startsWith(buffer.slice(at))) {
          safe = at;
          break;
        }
      }
    }
    for (let moved = true; moved; ) {
      moved = false;
      for (const secret of this.secrets) {
        const from = Math.max(0, safe - secret.length + 1);
        const at = buffer.indexOf(secret, from);
        if (at !== -1 && at < safe && at + secret.length > safe) {
          safe = at;
          moved = true;
        }
      }
    }
    return safe;
  }

  private replace(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = replaceAll(out, secret);
    return out;
  }
}

function replaceAll(text: string, secret: string): string {
  return text.includes(secret) ? text.split(secret).join(REDACTED) : text;
}
