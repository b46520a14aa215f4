import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnsiRenderer } from './ansi.js';
import { LogRenderer } from './log-lines.js';

describe('log rendering', () => {
  it('renders colour and weight codes as spans, and resets', () => {
    const html = new AnsiRenderer().render('\x1b[1m\x1b[32m+\x1b[0m\x1b[0m create\n');
    assert.equal(html, '<span class="ansi-bold ansi-fg-green">+</span> create\n');
  });

  it('escapes the text, inside and outside spans', () => {
    assert.equal(
      new AnsiRenderer().render('<script>&"x"</script>\x1b[31m<b>\x1b[0m'),
      '&lt;script>&amp;&#34;x&#34;&lt;/script><span class="ansi-fg-red">&lt;b></span>',
    );
  });

  it('keeps the style from one piece of a log to the next', () => {
    const renderer = new AnsiRenderer();
    assert.equal(renderer.render('\x1b[33mWarning'), '<span class="ansi-fg-yellow">Warning</span>');
    assert.equal(renderer.render(': deprecated\x1b[39m done'), '<span class="ansi-fg-yellow">: deprecated</span> done');
  });

  it('shows structured (-json) log lines as their messages, escaped, and other lines as they are', () => {
    const lines = [
      '{"@level":"info","@message":"Plan: 1 to add <b>","type":"change_summary"}',
      '{"@level":"error","@message":"Error: x","type":"diagnostic","diagnostic":{"severity":"error","summary":"Bad <thing>","detail":"More"}}',
      '{"not":"a log line"}',
      '\x1b[1mplain\x1b[0m',
    ];
    assert.equal(
      new LogRenderer().render(lines.join('\n')),
      [
        '<span class="ansi-bold">Plan: 1 to add &lt;b></span>',
        '<span class="ansi-fg-red">Error: Bad &lt;thing>\n\nMore</span>',
        '{&#34;not&#34;:&#34;a log line&#34;}',
        '<span class="ansi-bold">plain</span>',
      ].join('\n'),
    );
  });

  it('drops other escape sequences and control characters', () => {
    assert.equal(new AnsiRenderer().render('a\x1b[2Kb\x07c\r\td'), 'abc\td');
  });
});
