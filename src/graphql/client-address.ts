import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/**
 * The client's IP address as recorded on sessions and used by the throttles. `req.ip`
 * honours TRUST_PROXY (Express takes it from X-Forwarded-For when the peer is trusted), but
 * a trusted proxy passes on whatever the client wrote there: anything that is not a
 * syntactically valid IP falls back to the socket's own address. IPv4-mapped IPv6 addresses
 * are written as IPv4, so one client has one spelling.
 */
export function clientAddress(req: { ip: string | undefined; socket: Pick<Socket, 'remoteAddress'> }): string | null {
  const forwarded = req.ip;
  const address = forwarded !== undefined && isIP(forwarded) !== 0 ? forwarded : req.socket.remoteAddress;
  if (address === undefined || isIP(address) === 0) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}
