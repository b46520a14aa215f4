/**
 * Removes secrets from log text: the run's token and the values of its sensitive variables, as
 * written and as they appear inside a JSON string (terraform's `-json` lines). Longest first, so a
 * secret that contains another is removed whole.
 */
export const REDACTED = '***';

export class Redactor {
  private secrets: string[] = [];

  add(values: Iterable<string>): void {
    const all = new Set(this.secrets);
    for (const value of values) {
      if (value === '') continue;
      all.add(value);
      all.add(JSON.stringify(value).slice(1, -1));
    }
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.replaceAll(secret, REDACTED);
    return result;
  }
}
