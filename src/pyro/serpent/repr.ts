/** Python's `repr` for floats and str, as serpent writes them. */
import { NONPRINTABLE_DELTAS } from './nonprintable.js';

/**
 * `repr(float)` of Python 3 for a finite number: the shortest digits that round-trip (JS's
 * `toExponential()` picks the same ones), laid out with an exponent when the decimal point falls
 * before the 4th leading zero or after the 16th digit (`1e-05`, `0.0001`, `1e+16`, `123.0`).
 */
export function floatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = x.toExponential(); // "-1.2345e+21"
  let i = 0;
  let sign = '';
  if (exp.charCodeAt(0) === 45) {
    sign = '-';
    i = 1;
  }
  const e = exp.indexOf('e');
  const mantissa = exp.slice(i, e);
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
  const decpt = Number(exp.slice(e + 1)) + 1; // value = 0.<digits> * 10^decpt
  if (decpt <= -4 || decpt > 16) {
    const e10 = decpt - 1;
    const abs = Math.abs(e10);
    const body = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    return sign + body + 'e' + (e10 < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs;
  }
  if (decpt <= 0) return sign + '0.' + '0'.repeat(-decpt) + digits;
  if (decpt >= digits.length) return sign + digits + '0'.repeat(decpt - digits.length) + '.0';
  return sign + digits.slice(0, decpt) + '.' + digits.slice(decpt);
}

// Python escapes what str.isprintable() rejects (general categories Other and Separator). Node's
// ICU knows a newer Unicode than the Python judging us, so we use Python's own table, generated.
const RANGES: Uint32Array = (() => {
  const deltas = NONPRINTABLE_DELTAS.split(',').map((d) => parseInt(d, 16));
  const r = new Uint32Array(deltas.length);
  let prev = 0;
  for (let i = 0; i < deltas.length; i += 2) {
    r[i] = prev + deltas[i]!;
    r[i + 1] = r[i]! + deltas[i + 1]!;
    prev = r[i + 1]!;
  }
  return r;
})();

/** Whether Python's repr() escapes the code point `cp` (>= U+0080). */
export function isNonPrintable(cp: number): boolean {
  let lo = 0;
  let hi = RANGES.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < RANGES[2 * mid]!) hi = mid - 1;
    else if (cp > RANGES[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}
const HEX = '0123456789abcdef';

function hex(n: number, width: number): string {
  let s = '';
  for (let k = width - 1; k >= 0; k--) s += HEX[(n >>> (4 * k)) & 15];
  return s;
}

/** `repr(str)` of Python 3: quote choice, escapes for backslash, quote, controls, non-printables. */
export function strRepr(s: string): string {
  const hasSingle = s.includes("'");
  const quote = hasSingle && !s.includes('"') ? 34 : 39;
  const q = String.fromCharCode(quote);
  const parts: string[] = [q];
  let runStart = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== quote && c !== 92) continue;
    let esc: string | undefined;
    let width = 1;
    if (c === quote || c === 92) esc = '\\' + String.fromCharCode(c);
    else if (c === 9) esc = '\\t';
    else if (c === 10) esc = '\\n';
    else if (c === 13) esc = '\\r';
    else if (c < 0x20 || c === 0x7f) esc = '\\x' + hex(c, 2);
    else {
      let cp = c;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      if (!isNonPrintable(cp)) {
        i += width - 1;
        continue;
      }
      if (cp <= 0xff) esc = '\\x' + hex(cp, 2);
      else if (cp <= 0xffff) esc = '\\u' + hex(cp, 4);
      else esc = '\\U' + hex(cp, 8);
    }
    if (i > runStart) parts.push(s.slice(runStart, i));
    parts.push(esc);
    i += width - 1;
    runStart = i + 1;
  }
  if (runStart === 0) return q + s + q;
  if (runStart < n) parts.push(s.slice(runStart));
  parts.push(q);
  return parts.join('');
}
