// Byte offsets as the fixed-width decimal text of cursors (15 digits, zero-padded, so cursors compare as strings
// in log order), formatted for every line or entry read. Offsets read in order share their leading digits: those
// are formatted once per 10 000 bytes, and the last four come from a table (at most 10 000 short strings).
const WIDTH = 15;
const LOW_DIGITS = 4;
const LOW = 10 ** LOW_DIGITS;
const lowText: string[] = [];

export class OffsetText {
  private high = -1;
  private head = '';

  constructor(private readonly prefix: string) {}

  /** `prefix` and then `offset` (a non-negative integer) as 15 digits; as many as it has when that is more. */
  format(offset: number): string {
    const high = Math.floor(offset / LOW);
    if (high !== this.high) {
      this.high = high;
      this.head = this.prefix + String(high).padStart(WIDTH - LOW_DIGITS, '0');
    }
    const low = offset - high * LOW;
    return this.head + (lowText[low] ??= String(low).padStart(LOW_DIGITS, '0'));
  }
}
