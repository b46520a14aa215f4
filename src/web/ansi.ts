import { escapeHtml } from '@kitajs/html';

/** SGR colour numbers 30–37 and 90–97 (foreground), 40–47 and 100–107 (background) by name. */
const COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC.
const SGR = /\x1b\[([0-9;]*)m/g;
/** Any other escape sequence (cursor movement, erase) and control characters but tab and newline: dropped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what it removes are control characters.
const OTHER_CONTROLS = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[^[]|[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * Terminal output (terraform's coloured plan and apply logs) as HTML: the text escaped, the SGR colour
 * and weight codes as `<span class="ansi-…">` (classes, so the CSP needs no inline style). It keeps the
 * current style from one `render` to the next, as a log arrives in pieces.
 */
export class AnsiRenderer {
  private bold = false;
  private underline = false;
  private foreground: string | null = null;
  private background: string | null = null;

  render(text: string): string {
    let html = '';
    let at = 0;
    for (const match of text.matchAll(SGR)) {
      html += this.span(text.slice(at, match.index));
      this.apply((match[1] ?? '').split(';'));
      at = match.index + match[0].length;
    }
    return html + this.span(text.slice(at));
  }

  private span(text: string): string {
    const visible = text.replace(OTHER_CONTROLS, '');
    if (visible === '') return '';
    const classes = [
      this.bold && 'ansi-bold',
      this.underline && 'ansi-underline',
      this.foreground && `ansi-fg-${this.foreground}`,
      this.background && `ansi-bg-${this.background}`,
    ].filter(Boolean);
    const escaped = escapeHtml(visible);
    return classes.length === 0 ? escaped : `<span class="${classes.join(' ')}">${escaped}</span>`;
  }

  private apply(codes: string[]): void {
    for (const code of codes.map((c) => (c === '' ? 0 : Number(c)))) {
      if (code === 0) {
        this.bold = this.underline = false;
        this.foreground = this.background = null;
      } else if (code === 1) this.bold = true;
      else if (code === 22) this.bold = false;
      else if (code === 4) this.underline = true;
      else if (code === 24) this.underline = false;
      else if (code === 39) this.foreground = null;
      else if (code === 49) this.background = null;
      else if (code >= 30 && code <= 37) this.foreground = COLOURS[code - 30] ?? null;
      else if (code >= 90 && code <= 97) this.foreground = `bright-${COLOURS[code - 90]}`;
      else if (code >= 40 && code <= 47) this.background = COLOURS[code - 40] ?? null;
    }
  }
}
