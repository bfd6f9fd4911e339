/** Offsets in SQL text → line:column for the user. Pure. */

export interface LineCol {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column (in characters) of a 0-based character offset. */
export function lineColAt(text: string, charOffset: number): LineCol {
  const upto = text.slice(0, Math.max(0, Math.min(charOffset, text.length)));
  const lines = upto.split('\n');
  return { line: lines.length, column: [...(lines.at(-1) ?? '')].length + 1 };
}

/** The character offset of a UTF-8 byte offset in `text`. */
export function byteToCharOffset(text: string, byteOffset: number): number {
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length;
}

/** Skip white space and SQL comments from `offset`, so a statement's position points at its first keyword. */
export function skipTrivia(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else return i;
  }
}

/** Line:column look-ups for many offsets in one text, without rescanning it each time. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  at(charOffset: number): LineCol {
    const offset = Math.max(0, Math.min(charOffset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.starts[lo]!;
    return { line: lo + 1, column: [...this.text.slice(lineStart, offset)].length + 1 };
  }
}
