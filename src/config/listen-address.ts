/**
 * A TCP address to serve on, as users of Prometheus exporters write it: `HOST:PORT`,
 * `[IPv6]:PORT`, or `:PORT` for every interface. Parsing throws a RangeError saying what is
 * wrong, with an example; whether the address can be bound is found only by binding it.
 */
import { isIPv6 } from 'node:net';

export interface ListenAddress {
  /** An IP address or a host name; undefined: every interface (IPv6 and IPv4). */
  host: string | undefined;
  port: number;
}

const EXAMPLES = 'e.g. 127.0.0.1:9100, [::1]:9100 or :9100';
const HOST_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;

export function parseListenAddress(value: string): ListenAddress {
  const text = value.trim();
  const match = /^(?:\[([^\]]*)\]|([^[\]:]*)):([^:]*)$/.exec(text);
  if (!match) {
    if (!text.startsWith('[') && text.split(':').length > 2) throw new RangeError(`'${text}': write an IPv6 address in brackets, as in [::1]:9100`);
    throw new RangeError(`'${text}' is not HOST:PORT (${EXAMPLES})`);
  }
  const [, bracketed, plain, portText = ''] = match;
  if (bracketed !== undefined && !isIPv6(bracketed)) throw new RangeError(`'${text}': [${bracketed}] is not an IPv6 address`);
  if (plain !== undefined && plain !== '' && !HOST_NAME.test(plain)) throw new RangeError(`'${text}': '${plain}' is not a host name or IPv4 address`);
  if (!/^\d+$/.test(portText)) throw new RangeError(`'${text}': the port '${portText}' is not a number (${EXAMPLES})`);
  const port = Number(portText);
  // Port 0 would bind a port nobody can point a scraper at.
  if (port < 1 || port > 65535) throw new RangeError(`'${text}': port ${port} is out of range 1..65535`);
  return { host: bracketed ?? (plain === '' ? undefined : plain), port };
}

/** The address as a URL's authority: `127.0.0.1:9100`, `[::1]:9100`, `:9100`. */
export function formatListenAddress(address: ListenAddress): string {
  const host = address.host === undefined ? '' : isIPv6(address.host) ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
