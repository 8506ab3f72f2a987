import { describe, expect, it } from 'vitest';
import { sourceSubject } from './source-subject.ts';

describe('sourceSubject', () => {
  it('counts an IPv4 address as itself, also when a dual-stack socket maps it', () => {
    expect(sourceSubject('203.0.113.9')).toBe('203.0.113.9');
    expect(sourceSubject('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceSubject('::ffff:cb00:7109')).toBe('203.0.113.9');
  });

  it('counts IPv6 addresses by their /56', () => {
    const subject = '2001:db8:aa:bb00::/56';
    expect(sourceSubject('2001:db8:aa:bb00::1')).toBe(subject);
    expect(sourceSubject('2001:db8:aa:bbff:ffff:ffff:ffff:ffff')).toBe(subject);
    expect(sourceSubject('2001:0DB8:00AA:BB12:1:2:3:4%eth0')).toBe(subject);
    expect(sourceSubject('2001:db8:aa:bc00::1')).toBe('2001:db8:aa:bc00::/56');
    expect(sourceSubject('2001:db8:ab::1')).toBe('2001:db8:ab:0::/56');
    expect(sourceSubject('::1')).toBe('0:0:0:0::/56');
    expect(sourceSubject('fe80::1:2:3:4')).toBe('fe80:0:0:0::/56');
  });

  it('refuses what is no address', () => {
    expect(sourceSubject('')).toBeUndefined();
    expect(sourceSubject('example.org')).toBeUndefined();
    expect(sourceSubject('1:2:3')).toBeUndefined();
  });
});
