import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvField, seriesToCsv, toCsv } from '../../src/webview/lib/csv';
import { parseInline, parseMarkdown, plainText } from '../../src/webview/lib/markdown';
import { extendPalette, parseColor, withAlpha } from '../../src/webview/lib/color';
import { formatClock, formatNumber, formatWallTime, safeFileName } from '../../src/webview/lib/format';

describe('CSV export', () => {
  test('quotes fields with commas, quotes and line breaks', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(undefined), '');
  });

  test('defuses spreadsheet formulas but keeps negative numbers', () => {
    assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
    assert.equal(csvField('-0.5'), '-0.5');
    assert.equal(csvField(-0.5), '-0.5');
  });

  test('metric histories in long format, non-finite values by name', () => {
    const csv = seriesToCsv([{ runId: 'r1', runName: 'a,b', key: 'loss', steps: [0, 1], timestamps: [10, 20], values: [0.5, NaN] }]);
    assert.equal(csv, 'run_id,run_name,metric,step,timestamp,value\r\nr1,"a,b",loss,0,10,0.5\r\nr1,"a,b",loss,1,20,NaN\r\n');
  });

  test('a smoothed column when smoothing is on', () => {
    const csv = seriesToCsv([{ runId: 'r', runName: 'r', key: 'k', steps: [0], timestamps: [0], values: [1], smoothed: [1] }]);
    assert.ok(csv.startsWith('run_id,run_name,metric,step,timestamp,value,smoothed\r\n'));
    assert.equal(toCsv(['a'], [[1], ['x']]), 'a\r\n1\r\nx\r\n');
  });
});

describe('run notes (Markdown)', () => {
  test('headings, paragraphs, lists, code and quotes', () => {
    const blocks = parseMarkdown('# Title\n\nSome **bold** and *em* text.\n\n- one\n- two\n\n```py\nx = 1\n```\n\n> quoted');
    assert.deepEqual(
      blocks.map((b) => b.type),
      ['heading', 'paragraph', 'list', 'code', 'quote'],
    );
    const list = blocks[2]!;
    assert.ok(list.type === 'list' && list.items.length === 2 && !list.ordered);
    const code = blocks[3]!;
    assert.ok(code.type === 'code' && code.lang === 'py' && code.text === 'x = 1');
  });

  test('inline markup', () => {
    assert.deepEqual(parseInline('a `b*c` d'), [
      { type: 'text', text: 'a ' },
      { type: 'code', text: 'b*c' },
      { type: 'text', text: ' d' },
    ]);
    assert.deepEqual(parseInline('**x**'), [{ type: 'strong', children: [{ type: 'text', text: 'x' }] }]);
    assert.deepEqual(parseInline('snake_case_name'), [{ type: 'text', text: 'snake_case_name' }]);
  });

  test('links keep safe schemes only; markup never passes through as HTML', () => {
    assert.deepEqual(parseInline('[site](https://example.com)'), [{ type: 'link', href: 'https://example.com', children: [{ type: 'text', text: 'site' }] }]);
    assert.deepEqual(parseInline('[x](javascript:alert(1))'), [{ type: 'text', text: 'x' }, { type: 'text', text: ')' }]);
    assert.deepEqual(parseInline('<img src=x onerror=alert(1)>'), [{ type: 'text', text: '<img src=x onerror=alert(1)>' }]);
    assert.deepEqual(parseInline('see https://mlflow.org.'), [
      { type: 'text', text: 'see ' },
      { type: 'link', href: 'https://mlflow.org', children: [{ type: 'text', text: 'https://mlflow.org' }] },
      { type: 'text', text: '.' },
    ]);
  });

  test('plain text of a note', () => {
    assert.equal(plainText(parseMarkdown('# A\n\n**b** c')), 'A\nb c');
  });
});

describe('colours and formats', () => {
  test('parses theme colours and fades them', () => {
    assert.deepEqual(parseColor('#fff'), { r: 255, g: 255, b: 255, a: 1 });
    assert.deepEqual(parseColor('#00000080')!.a.toFixed(2), '0.50');
    assert.equal(withAlpha('#ff0000', 0.25), 'rgba(255, 0, 0, 0.25)');
    assert.equal(withAlpha('rgba(0, 0, 255, 0.5)', 0.5), 'rgba(0, 0, 255, 0.25)');
    assert.equal(withAlpha('var(--x)', 0.5), 'var(--x)');
  });

  test('extends the six theme colours into distinct run colours', () => {
    const palette = extendPalette(['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'], 30);
    assert.equal(palette.length, 30);
    assert.equal(new Set(palette).size, 30);
    assert.equal(palette[0], 'rgba(55, 148, 255, 1)');
  });

  test('numbers, clocks, file names', () => {
    assert.equal(formatNumber(0.123456), '0.1235');
    assert.equal(formatNumber(1234567), '1.23e6');
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatClock(45), '45s');
    assert.equal(formatClock(725), '12:05');
    assert.equal(formatClock(3 * 3600 + 130), '3:02:10');
    // Ticks 5 ms apart: each label tells its tick apart, where `0s` would repeat.
    assert.deepEqual([0, 0.005, 0.01, 0.015].map((s) => formatClock(s, 0.005)), ['0s', '0.005s', '0.01s', '0.015s']);
    assert.equal(formatClock(2.5, 0.5), '2.5s');
    assert.equal(formatClock(45, 5), '45s');
    const noon = new Date(2024, 0, 1, 12, 0, 0, 250).getTime();
    assert.equal(formatWallTime(noon, 900, 100), '12:00:00.2');
    assert.equal(formatWallTime(noon, 900, 20), '12:00:00.25');
    assert.equal(formatWallTime(noon, 60_000, 10_000), '12:00:00');
    assert.equal(safeFileName('eval/loss score'), 'eval_loss_score');
  });
});
