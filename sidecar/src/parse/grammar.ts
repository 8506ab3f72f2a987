// The first line of a runner entry:
//   YYYY-MM-DD HH:MM:SS <level>: @truebit/<component>[-0x<address>]:<version> <message>

const HEADER =
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([A-Za-z]+): @truebit\/([a-z0-9][a-z0-9._-]*?)(?:-(0x[0-9a-fA-F]{40}))?:(\S+)(?: (.*))?$/;
/** A line that starts with the runner's timestamp but does not follow the rest of the grammar. */
const TIMESTAMP_ONLY = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\b/;

export interface Header {
  /** UTC ISO-8601 (the runner's timestamp has no zone: taken as UTC). */
  ts: string;
  level: string;
  component: string;
  address?: string;
  version: string;
  message: string;
}

/** True when the line starts with `YYYY-MM-DD HH:MM:SS`, i.e. starts a new entry. */
export function startsWithTimestamp(line: string): boolean {
  return (
    line.length >= 19 &&
    line.charCodeAt(4) === 45 &&
    line.charCodeAt(10) === 32 &&
    line.charCodeAt(13) === 58 &&
    TIMESTAMP_ONLY.test(line)
  );
}

let lastStamp = '';
let lastIso = '';
/** `YYYY-MM-DD` + `HH:MM:SS` → ISO-8601 UTC with milliseconds, memoised for the common run of equal stamps. */
export function runnerTimeToIso(date: string, time: string): string {
  const stamp = date + time;
  if (stamp !== lastStamp) {
    lastStamp = stamp;
    lastIso = `${date}T${time}.000Z`;
  }
  return lastIso;
}

export function parseHeader(line: string): Header | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  const header: Header = {
    ts: runnerTimeToIso(m[1]!, m[2]!),
    level: m[3]!.toLowerCase(),
    component: m[4]!,
    version: m[6]!,
    message: m[7] ?? '',
  };
  if (m[5]) header.address = m[5];
  return header;
}

/** The timestamp of a line that starts with one but is not a runner header. */
export function leadingTimestamp(line: string): string | undefined {
  const m = TIMESTAMP_ONLY.exec(line);
  return m ? runnerTimeToIso(m[1]!, m[2]!) : undefined;
}
