import dns from "node:dns";
import net, { type LookupFunction } from "node:net";

/**
 * Webhook URLs must reach the public internet: a platform must not make this server call its own
 * loopback, the private network it runs in, or a cloud metadata service (169.254.169.254). A host
 * is refused when it is, or resolves to, any non-public address — checked when an endpoint is
 * registered and again on every delivery, at connect time, so a DNS answer that changes in
 * between (rebinding) is caught.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (the system resolver; tests hand in their own). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Non-public IPv4 ranges (IANA special-purpose registry): [network, prefix length]. */
const IPV4_NON_PUBLIC: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.31.196.0", 24], // AS112
  ["192.52.193.0", 24], // AMT
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["192.175.48.0", 24], // AS112
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and broadcast
];

/**
 * Inside global unicast (2000::/3), the ranges that are not publicly routed. Everything outside
 * 2000::/3 — `::`, `::1`, IPv4-compatible, unique local fc00::/7, link-local fe80::/10, site-local,
 * multicast, discard — is refused too, except the two forms that embed an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96), which are judged by that IPv4 address.
 */
const IPV6_NON_PUBLIC: [string, number][] = [
  ["2001::", 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID, …)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: reaches arbitrary IPv4 addresses
  ["3fff::", 20], // documentation
];

function ipv4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

/** The 16 bytes of an IPv6 address (zone index dropped), or null when it does not parse. */
export function ipv6Bytes(address: string): number[] | null {
  let text = address.split("%")[0]!.toLowerCase();
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (net.isIPv4(dotted[1]!) === false) return null;
    tail = ipv4Bytes(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((h) => (/^[0-9a-f]{1,4}$/.test(h) ? parseInt(h, 16) : Number.NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return null;
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function inPrefix(bytes: number[], network: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 1) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[i]! & mask) !== (network[i]! & mask)) return false;
  }
  return true;
}

const V4_RANGES = IPV4_NON_PUBLIC.map(([n, p]) => [ipv4Bytes(n), p] as const);
const V6_RANGES = IPV6_NON_PUBLIC.map(([n, p]) => [ipv6Bytes(n)!, p] as const);
const MAPPED = ipv6Bytes("::ffff:0:0")!;
const NAT64 = ipv6Bytes("64:ff9b::")!;
const GLOBAL_UNICAST = ipv6Bytes("2000::")!;

/** True only for an IP address on the public internet. */
export function isPublicAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const bytes = ipv4Bytes(address);
    return !V4_RANGES.some(([network, prefix]) => inPrefix(bytes, network, prefix));
  }
  if (!net.isIPv6(address)) return false;
  const bytes = ipv6Bytes(address);
  if (!bytes) return false;
  if (inPrefix(bytes, MAPPED, 96) || inPrefix(bytes, NAT64, 96)) return isPublicAddress(bytes.slice(12).join("."));
  if (!inPrefix(bytes, GLOBAL_UNICAST, 3)) return false;
  return !V6_RANGES.some(([network, prefix]) => inPrefix(bytes, network, prefix));
}

/** A URL's host as a bare name or address: no IPv6 brackets, no trailing dot, lower case. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

export class NonPublicAddressError extends Error {
  readonly code = "ENONPUBLIC";
  constructor(host: string, address?: string) {
    super(address && address !== host ? `${host} resolves to ${address}, which is not a public address` : `${host} is not a public address`);
    this.name = "NonPublicAddressError";
  }
}

/**
 * Throws NonPublicAddressError when the URL's host is, or resolves to, a non-public address.
 * A host that does not resolve is let through (`resolves: false`): the delivery-time check, at
 * connect time, stops it if it later resolves to a private address.
 */
export async function assertPublicHost(url: URL, resolve: HostResolver): Promise<{ resolves: boolean }> {
  const host = hostOf(url);
  if (net.isIP(host)) {
    if (!isPublicAddress(host)) throw new NonPublicAddressError(host);
    return { resolves: true };
  }
  if (host === "localhost" || host.endsWith(".localhost")) throw new NonPublicAddressError(host);
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return { resolves: false };
  }
  const blocked = addresses.find((a) => !isPublicAddress(a.address));
  if (blocked) throw new NonPublicAddressError(host, blocked.address);
  return { resolves: addresses.length > 0 };
}

/**
 * A `lookup` for node:http that resolves with `resolve` and refuses the connection when any
 * address of the host is non-public, so the address connected to is the address checked.
 */
export function publicOnlyLookup(resolve: HostResolver): LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.replace(/\.$/, "").toLowerCase();
    const refuse = (address?: string) => callback(new NonPublicAddressError(host, address) as NodeJS.ErrnoException, "", 4);
    if (host === "localhost" || host.endsWith(".localhost")) return refuse();
    resolve(host).then(
      (addresses) => {
        const wanted = addresses.filter((a) => !options.family || a.family === options.family);
        const blocked = addresses.find((a) => !isPublicAddress(a.address));
        if (blocked) return refuse(blocked.address);
        if (wanted.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
          err.code = "ENOTFOUND";
          return callback(err, "", 4);
        }
        if (options.all) return (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, wanted);
        callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 4),
    );
  };
}
