/**
 * Remembers the secret strings this process has seen (values of sensitive
 * attributes: the API key, SSH private keys) and blanks them out of any text
 * that leaves the process as a log line or a diagnostic. A second line of
 * defence: the bridge never formats values into messages on purpose, but the
 * core's error messages might echo an input.
 */
export class SecretRedactor {
  /** Shorter strings are too likely to occur by chance to be blanked. */
  static readonly MIN_LENGTH = 6;
  private readonly secrets = new Set<string>();

  remember(value: unknown): void {
    if (typeof value === 'string' && value.length >= SecretRedactor.MIN_LENGTH) {
      this.secrets.add(value);
      // Multi-line secrets (PEM keys) may be quoted line by line.
      for (const line of value.split('\n')) if (line.trim().length >= 16) this.secrets.add(line.trim());
    }
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      if (result.includes(secret)) result = result.split(secret).join('(sensitive value)');
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (quoted !== secret && result.includes(quoted)) result = result.split(quoted).join('(sensitive value)');
    }
    return result;
  }
}
