// Checksums S3 computes and verifies: Content-MD5, x-amz-content-sha256 and the flexible checksums
// (x-amz-checksum-crc32 / crc32c / crc64nvme / sha1 / sha256). Values are base64 of the big-endian digest.
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";

export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";

/** Flexible-checksum algorithms by their header suffix (`x-amz-checksum-<suffix>`). */
export const CHECKSUM_HEADERS: Record<string, ChecksumAlgorithm> = {
  crc32: "CRC32",
  crc32c: "CRC32C",
  crc64nvme: "CRC64NVME",
  sha1: "SHA1",
  sha256: "SHA256",
};

function reflectedTable32(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
}

let crc32cTable: Uint32Array | undefined;
let crc64Table: BigUint64Array | undefined;

function crc32c(data: Buffer): number {
  const table = (crc32cTable ??= reflectedTable32(0x82f63b78));
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), S3's default checksum since 2025. */
function crc64nvme(data: Buffer): bigint {
  if (!crc64Table) {
    crc64Table = new BigUint64Array(256);
    const poly = 0x9a6c9329ac4bc9b5n;
    for (let i = 0; i < 256; i++) {
      let c = BigInt(i);
      for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
      crc64Table[i] = c;
    }
  }
  const table = crc64Table;
  // Split into two 32-bit halves per byte would be faster; bundles in tests are small, BigInt is fine.
  let crc = 0xffffffffffffffffn;
  for (const byte of data) crc = table[Number((crc ^ BigInt(byte)) & 0xffn)] ^ (crc >> 8n);
  return crc ^ 0xffffffffffffffffn;
}

/** Base64 checksum of `data` as S3 reports it in `x-amz-checksum-*`. */
export function checksum(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case "CRC32": {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(zlibCrc32(data) >>> 0);
      return out.toString("base64");
    }
    case "CRC32C": {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32c(data));
      return out.toString("base64");
    }
    case "CRC64NVME": {
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(crc64nvme(data));
      return out.toString("base64");
    }
    case "SHA1":
      return createHash("sha1").update(data).digest("base64");
    case "SHA256":
      return createHash("sha256").update(data).digest("base64");
  }
}

export function md5Hex(data: Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

export function md5Base64(data: Buffer): string {
  return createHash("md5").update(data).digest("base64");
}

export function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
