/**
 * Rate-limit keys: `user:<sub>` for signed-in callers, `ip:<address>` for anonymous ones.
 * Never a raw token: a key ends up in Redis and in Durable Object names.
 */

export function userKey(userId: string): string {
  return `user:${userId}`;
}

/**
 * `CF-Connecting-IP` as a key. Cloudflare sets that header at its edge and overwrites any
 * client-sent one, so unlike `X-Forwarded-For` it cannot be forged from outside.
 *
 * IPv6 clients are keyed by their /64: one subscriber usually owns a whole /64 and can rotate
 * through it freely, so a per-address limit would not hold anyone back. IPv4-mapped IPv6
 * addresses count as the IPv4 address they carry.
 *
 * Without the header (local tests, a service binding) every such caller shares `ip:unknown`:
 * a tight shared bucket beats an unlimited one.
 */
export function ipKey(header: string | undefined): string {
  const address = header?.trim();
  if (!address) return 'ip:unknown';
  if (!address.includes(':')) return `ip:${address}`;
  const groups = expandIpv6(address);
  if (!groups) return `ip:${address.toLowerCase()}`;
  const isIpv4Mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isIpv4Mapped) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return `ip:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `ip:${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail allowed), or null. */
function expandIpv6(address: string): number[] | null {
  const zoneless = address.split('%', 1)[0] ?? '';
  const halves = zoneless.split('::');
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === '') return [];
    const groups: number[] = [];
    const parts = half.split(':');
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes('.')) {
        const octets = part.split('.').map(Number);
        if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) return null;
        const [a = 0, b = 0, c = 0, d = 0] = octets;
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        groups.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = parseHalf(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHalf(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
