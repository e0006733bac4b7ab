/** IPv4-mapped IPv6 (`::ffff:10.2.6.1`) as the plain IPv4 address a control-IP list names. */
export function normaliseAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}
