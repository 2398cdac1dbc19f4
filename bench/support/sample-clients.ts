import type { ClientInfo } from '../../src/session/session.model';

/**
 * What real logins record: current browser and app user agents (64 to 140 characters,
 * the shape of most traffic) and a mix of IPv4 and IPv6 addresses. Memory per session
 * depends on them more than on anything else in the record.
 */
export const SAMPLE_CLIENTS: readonly ClientInfo[] = [
  {
    ipAddress: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  },
  {
    ipAddress: '198.51.100.23',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  },
  {
    ipAddress: '2001:db8:85a3::8a2e:370:7334',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  },
  {
    ipAddress: '192.0.2.141',
    userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  },
  {
    ipAddress: '203.0.113.250',
    userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  },
  {
    ipAddress: '2001:db8::1f',
    userAgent: 'SessionQLDemo/3.2.1 (com.example.sessionql; build:4120; iOS 17.4.1) Alamofire/5.9.1',
  },
];
