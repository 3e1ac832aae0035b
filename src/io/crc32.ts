let table: Uint32Array | undefined;

/**
 * CRC-32 as gzip, zlib's PNG chunks and IEEE 802.3 define it (reflected polynomial 0xEDB88320, initial and final
 * value 0xFFFFFFFF), table-driven: the checksum of gzip trailers and PNG chunks.
 */
export function crc32(bytes: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
