import { escapeHtml } from '@kitajs/html';
import { AnsiRenderer } from './ansi.js';

/** The fields of terraform's `-json` log lines (machine-readable UI) the page shows. */
interface JsonLogLine {
  '@level'?: string;
  '@message': string;
  type?: string;
  diagnostic?: { severity?: string; summary?: string; detail?: string };
}

function parseJsonLine(line: string): JsonLogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<JsonLogLine>;
    return typeof parsed['@message'] === 'string' ? (parsed as JsonLogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** A `-json` line as the CLI shows it: the message, a diagnostic with its detail, errors red and warnings yellow. */
function renderJsonLine(line: JsonLogLine): string {
  const diagnostic = line.type === 'diagnostic' ? line.diagnostic : undefined;
  const level = diagnostic?.severity ?? line['@level'];
  const text = diagnostic
    ? `${diagnostic.severity === 'error' ? 'Error' : 'Warning'}: ${diagnostic.summary ?? ''}${diagnostic.detail ? `\n\n${diagnostic.detail}` : ''}`
    : line['@message'];
  const colour = level === 'error' ? 'ansi-fg-red' : level === 'warn' || level === 'warning' ? 'ansi-fg-yellow' : undefined;
  const classes = [colour, line.type === 'change_summary' && 'ansi-bold'].filter(Boolean).join(' ');
  return classes ? `<span class="${classes}">${escapeHtml(text)}</span>` : escapeHtml(text);
}

/**
 * A plan's or apply's log as HTML, whole lines at a time: terraform's structured (`-json`) lines as their
 * messages, the plain text of a workspace without structured run output with its colour codes as spans.
 */
export class LogRenderer {
  private readonly ansi = new AnsiRenderer();

  render(text: string): string {
    return text
      .split('\n')
      .map((line) => {
        const json = parseJsonLine(line);
        return json ? renderJsonLine(json) : this.ansi.render(line);
      })
      .join('\n');
  }
}
