// Request payloads as S3 reads them: aws-chunked decoding (signed chunks and unsigned payloads with
// trailing checksums), x-amz-content-sha256, Content-MD5 and x-amz-checksum-* verification.
import { CHECKSUM_HEADERS, ChecksumAlgorithm, checksum, md5Base64, sha256Hex } from "./checksums";
import { S3Error, errors } from "./errors";
import { S3Request, header } from "./types";

export interface DecodedPayload {
  body: Buffer;
  /** The flexible checksum the client supplied (header or trailer), already verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** Content-Encoding with `aws-chunked` removed (S3 does not store it). */
  contentEncoding?: string;
}

/** True when the payload is aws-chunked (content-encoding or a STREAMING-* content hash). */
export function isAwsChunked(req: S3Request): boolean {
  const enc = (header(req, "content-encoding") ?? "").toLowerCase();
  const sha = header(req, "x-amz-content-sha256") ?? "";
  return enc.split(",").some((e) => e.trim() === "aws-chunked") || sha.startsWith("STREAMING-");
}

/** Decodes `hex-size[;chunk-signature=…]\r\n<data>\r\n … 0\r\n[trailers]\r\n\r\n`. */
export function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let pos = 0;
  const readLine = (): string => {
    const end = raw.indexOf("\r\n", pos, "latin1");
    if (end < 0) throw errors.incompleteBody();
    const line = raw.subarray(pos, end).toString("latin1");
    pos = end + 2;
    return line;
  };
  for (;;) {
    const sizeLine = readLine();
    const sizeHex = sizeLine.split(";")[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeHex)) {
      throw new S3Error(
        "InvalidChunkSizeError",
        400,
        "Only the last chunk is allowed to have a size less than 8192 bytes",
      );
    }
    const size = parseInt(sizeHex, 16);
    if (size === 0) break;
    if (pos + size > raw.length) throw errors.incompleteBody();
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw.subarray(pos, pos + 2).toString("latin1") !== "\r\n") throw errors.incompleteBody();
    pos += 2;
  }
  while (pos < raw.length) {
    const line = readLine();
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}

/** Verifies x-amz-content-sha256 when it is a literal hash (not UNSIGNED-PAYLOAD / STREAMING-*). */
export function verifyContentSha256(req: S3Request): void {
  const claimed = header(req, "x-amz-content-sha256");
  if (!claimed || !/^[0-9a-fA-F]{64}$/.test(claimed)) return;
  const actual = sha256Hex(req.body);
  if (actual !== claimed.toLowerCase()) throw errors.sha256Mismatch(claimed, actual);
}

function verifyMd5(req: S3Request, body: Buffer): void {
  const md5 = header(req, "content-md5");
  if (md5 === undefined) return;
  const raw = Buffer.from(md5, "base64");
  if (raw.length !== 16 || raw.toString("base64") !== md5.trim()) throw errors.invalidDigest();
  if (md5Base64(body) !== md5.trim()) throw errors.badDigest("Content-MD5");
}

/** Finds the single x-amz-checksum-<alg> value among headers or trailers, verifies it against body. */
function verifyFlexibleChecksum(
  body: Buffer,
  sources: Record<string, string | undefined>,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  const found = Object.entries(CHECKSUM_HEADERS)
    .map(([suffix, algorithm]) => ({ algorithm, value: sources[`x-amz-checksum-${suffix}`] }))
    .filter((c): c is { algorithm: ChecksumAlgorithm; value: string } => c.value !== undefined);
  if (found.length > 1) {
    throw errors.invalidRequest(
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  if (found.length === 0) return undefined;
  const [{ algorithm, value }] = found;
  const expected = checksum(algorithm, body);
  if (value.trim() !== expected) {
    throw errors.badDigest(algorithm);
  }
  return { algorithm, value: expected };
}

/** Reads and verifies a request body the way S3 does before acting on it. */
export function decodePayload(req: S3Request): DecodedPayload {
  let body = req.body;
  let trailers: Record<string, string> = {};
  const enc = header(req, "content-encoding");
  let contentEncoding = enc;
  if (isAwsChunked(req)) {
    ({ body, trailers } = decodeAwsChunked(req.body));
    const declared = header(req, "x-amz-decoded-content-length");
    if (declared !== undefined && Number(declared) !== body.length) throw errors.incompleteBody();
    const rest = (enc ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e && e.toLowerCase() !== "aws-chunked");
    contentEncoding = rest.length ? rest.join(",") : undefined;
    const expectedTrailer = header(req, "x-amz-trailer");
    if (expectedTrailer && trailers[expectedTrailer.toLowerCase()] === undefined) {
      throw errors.invalidRequest(`The trailer ${expectedTrailer} declared in x-amz-trailer was not sent.`);
    }
  } else {
    verifyContentSha256(req);
  }
  verifyMd5(req, body);
  const sources: Record<string, string | undefined> = { ...trailers };
  for (const suffix of Object.keys(CHECKSUM_HEADERS)) {
    const name = `x-amz-checksum-${suffix}`;
    const h = header(req, name);
    if (h !== undefined) sources[name] = h;
  }
  return { body, checksum: verifyFlexibleChecksum(body, sources), contentEncoding };
}
