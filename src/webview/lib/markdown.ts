/**
 * A small Markdown reader for run notes: headings, paragraphs, emphasis, strong, inline and fenced code,
 * lists, block quotes, rules and links. It yields a tree of blocks and inlines that the panel turns into
 * DOM nodes with text content only, so a note can never inject markup. Links keep http(s) and mailto only.
 * Pure: no DOM.
 */

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'strike'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' };

export type Block =
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { type: 'quote'; children: Block[] }
  | { type: 'rule' };

/** Longest inline construct looked for (a link, an emphasis span). */
const MAX_INLINE_SPAN = 4000;

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function parseMarkdown(source: string): Block[] {
  return parseBlocks(source.replace(/\r\n?/g, '\n').split('\n'));
}

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const close = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(close)) body.push(lines[i++]!);
      i++; // the closing fence (or the end)
      blocks.push({ type: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1]!.length, children: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ type: 'rule' });
      i++;
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s{0,3}>\s?/, ''));
      blocks.push({ type: 'quote', children: parseBlocks(body) });
      continue;
    }
    const item = listItem(line);
    if (item) {
      const items: Block[][] = [];
      const ordered = item.ordered;
      let current: string[] = [];
      while (i < lines.length) {
        const next = lines[i]!;
        const nextItem = listItem(next);
        if (nextItem && nextItem.ordered === ordered && nextItem.indent <= item.indent + 1) {
          if (current.length > 0) items.push(parseBlocks(current));
          current = [nextItem.text];
          i++;
        } else if (next.trim() !== '' && (/^\s+/.test(next) || !isBlockStart(next))) {
          current.push(next.replace(/^\s{1,4}/, ''));
          i++;
        } else if (next.trim() === '' && i + 1 < lines.length && (listItem(lines[i + 1]!)?.ordered === ordered || /^\s{2,}\S/.test(lines[i + 1]!))) {
          current.push('');
          i++;
        } else break;
      }
      if (current.length > 0) items.push(parseBlocks(current));
      blocks.push({ type: 'list', ordered, start: item.start, items });
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && (paragraph.length === 0 || !isBlockStart(lines[i]!))) paragraph.push(lines[i++]!);
    blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
  }
  return blocks;
}

function listItem(line: string): { ordered: boolean; start: number; indent: number; text: string } | undefined {
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return { ordered: false, start: 1, indent: bullet[1]!.length, text: bullet[2]! };
  const numbered = /^(\s*)(\d{1,9})[.)]\s+(.*)$/.exec(line);
  if (numbered) return { ordered: true, start: Number(numbered[2]), indent: numbered[1]!.length, text: numbered[3]! };
  return undefined;
}

function isBlockStart(line: string): boolean {
  return /^\s{0,3}(#{1,6}\s|>|```|~~~)/.test(line) || listItem(line) !== undefined || /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line);
}

/** Inline markup of one block's text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer !== '') out.push({ type: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (!'\\\n`*_~[<h'.includes(ch)) {
      buffer += ch;
      i++;
      continue;
    }
    const rest = text.slice(i, i + MAX_INLINE_SPAN);
    if (ch === '\\' && i + 1 < text.length && /[\\`*_{}[\]()#+\-.!~>|]/.test(text[i + 1]!)) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '\n') {
      // Two trailing spaces or a backslash make a hard break; else a soft break is a space.
      if (buffer.endsWith('  ')) {
        buffer = buffer.replace(/ +$/, '');
        flush();
        out.push({ type: 'break' });
      } else buffer += ' ';
      i++;
      continue;
    }
    if (ch === '`') {
      const ticks = /^`+/.exec(rest)![0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end !== -1) {
        flush();
        out.push({ type: 'code', text: text.slice(i + ticks.length, end).replace(/^ (.*) $/, '$1') });
        i = end + ticks.length;
        continue;
      }
    }
    const strong = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest);
    if (strong) {
      flush();
      out.push({ type: 'strong', children: parseInline(strong[2]!) });
      i += strong[0].length;
      continue;
    }
    const strike = /^~~(?=\S)([\s\S]*?\S)~~/.exec(rest);
    if (strike) {
      flush();
      out.push({ type: 'strike', children: parseInline(strike[1]!) });
      i += strike[0].length;
      continue;
    }
    const em = /^(\*|_)(?=\S)([\s\S]*?\S)\1(?!\1)/.exec(rest);
    if (em && (ch === '*' || !/\w/.test(text[i - 1] ?? ''))) {
      flush();
      out.push({ type: 'em', children: parseInline(em[2]!) });
      i += em[0].length;
      continue;
    }
    const link = /^\[([^\]]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/.exec(rest);
    if (link) {
      const href = link[2]!;
      flush();
      if (SAFE_LINK.test(href)) out.push({ type: 'link', href, children: parseInline(link[1]!) });
      else out.push(...parseInline(link[1]!));
      i += link[0].length;
      continue;
    }
    const angle = /^<((?:https?:\/\/|mailto:)[^\s>]+)>/.exec(rest);
    const bare = angle || /\w/.test(text[i - 1] ?? '') ? null : /^https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"]/.exec(rest);
    if (angle || bare) {
      const href = angle ? angle[1]! : bare![0];
      flush();
      out.push({ type: 'link', href, children: [{ type: 'text', text: href }] });
      i += (angle ?? bare)![0].length;
      continue;
    }
    buffer += ch;
    i++;
  }
  flush();
  return out;
}

/** The text of a note without markup (for titles and tooltips). */
export function plainText(blocks: readonly Block[]): string {
  const inline = (nodes: readonly Inline[]): string =>
    nodes.map((n) => (n.type === 'text' || n.type === 'code' ? n.text : n.type === 'break' ? '\n' : inline(n.children))).join('');
  return blocks
    .map((b) => {
      switch (b.type) {
        case 'heading':
        case 'paragraph':
          return inline(b.children);
        case 'code':
          return b.text;
        case 'list':
          return b.items.map((item) => plainText(item)).join('\n');
        case 'quote':
          return plainText(b.children);
        case 'rule':
          return '';
      }
    })
    .join('\n');
}
