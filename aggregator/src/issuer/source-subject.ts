// The open policy's subject: where a request came from, as one allowance. An IPv4 address is one subject; an
// IPv6 address counts by its /56, the least a provider commonly delegates to one customer, so one home's
// 2^72 addresses are one subject (docs/TRUST.md, "Open": a cost, not a bound).
import { isIPv4, isIPv6 } from 'node:net';

function ipv6Groups(address: string): number[] | undefined {
  const [head = '', tail] = address.split('::');
  const part = (text: string) => (text === '' ? [] : text.split(':'));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const last = (tail === undefined ? left : right).at(-1) ?? '';
  if (isIPv4(last)) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    (tail === undefined ? left : right).splice(
      -1,
      1,
      ((a << 8) | b).toString(16),
      ((c << 8) | d).toString(16),
    );
  }
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) =>
    parseInt(g, 16),
  );
}

/** `203.0.113.9`, or `2001:db8:aa:bb00::/56` for any address of that /56; undefined for what is neither. */
export function sourceSubject(address: string): string | undefined {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return undefined;
  const groups = ipv6Groups(bare.toLowerCase());
  if (!groups) return undefined;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff)
    return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.');
  return `${[g0, g1, g2, g3 & 0xff00].map((g) => g.toString(16)).join(':')}::/56`;
}
