// ListObjectsV2 (and the older ListObjects): prefix, delimiter → CommonPrefixes, max-keys (cap 1000),
// continuation-token / start-after / marker, in UTF-8 binary key order.
import { accessibleBucket } from "./buckets";
import { errors } from "./errors";
import { S3Object, S3Store, canonicalUserId, compareKeys } from "./store";
import { S3Context, S3Request, S3Response } from "./types";
import { el, xmlDocument } from "./xml";

interface Page {
  contents: S3Object[];
  prefixes: string[];
  truncated: boolean;
  /** The last entry returned (a key, or a common prefix) — where the next page starts. */
  last?: { value: string; isPrefix: boolean };
}

function listPage(
  objects: Map<string, S3Object>,
  opts: { prefix: string; delimiter: string; after?: string; afterIsPrefix?: boolean; maxKeys: number },
): Page {
  const page: Page = { contents: [], prefixes: [], truncated: false };
  if (opts.maxKeys === 0) return page; // S3 answers an empty, untruncated page
  const keys = [...objects.keys()].filter((k) => k.startsWith(opts.prefix)).sort(compareKeys);
  let lastPrefix: string | undefined;
  for (const key of keys) {
    if (opts.after !== undefined) {
      if (compareKeys(key, opts.after) <= 0) continue;
      if (opts.afterIsPrefix && key.startsWith(opts.after)) continue;
    }
    let commonPrefix: string | undefined;
    if (opts.delimiter) {
      const i = key.indexOf(opts.delimiter, opts.prefix.length);
      if (i >= 0) commonPrefix = key.slice(0, i + opts.delimiter.length);
    }
    if (commonPrefix !== undefined && commonPrefix === lastPrefix) continue;
    if (page.contents.length + page.prefixes.length >= opts.maxKeys) {
      page.truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      page.prefixes.push(commonPrefix);
      lastPrefix = commonPrefix;
      page.last = { value: commonPrefix, isPrefix: true };
    } else {
      page.contents.push(objects.get(key) as S3Object);
      page.last = { value: key, isPrefix: false };
    }
  }
  return page;
}

function parseMaxKeys(req: S3Request): { requested: number; effective: number } {
  const raw = req.query.get("max-keys");
  if (raw === null) return { requested: 1000, effective: 1000 };
  if (!/^\d+$/.test(raw) || Number(raw) > 2147483647) {
    throw errors.invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", raw);
  }
  const n = Number(raw);
  return { requested: n, effective: Math.min(n, 1000) };
}

function encodingOf(req: S3Request): ((s: string) => string) | undefined {
  const type = req.query.get("encoding-type");
  if (type === null) return undefined;
  if (type !== "url")
    throw errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", type);
  return (s) => encodeURIComponent(s).replace(/%2F/g, "/");
}

function contentsXml(o: S3Object, withOwner: boolean, enc: (s: string) => string, accountId: string): string {
  return (
    `<Contents>${el("Key", enc(o.key))}${el("LastModified", o.lastModified.toISOString())}${el("ETag", o.etag)}` +
    `${el("ChecksumAlgorithm", o.checksumAlgorithm)}${el("ChecksumType", "FULL_OBJECT")}${el("Size", o.body.length)}` +
    (withOwner ? `<Owner>${el("ID", canonicalUserId(accountId))}</Owner>` : "") +
    `${el("StorageClass", o.storageClass)}</Contents>`
  );
}

const TOKEN_PREFIX = "lo2:";

function encodeContinuation(last: { value: string; isPrefix: boolean }): string {
  return Buffer.from(`${TOKEN_PREFIX}${last.isPrefix ? "p" : "k"}:${last.value}`, "utf8").toString("base64");
}

function decodeContinuation(token: string): { value: string; isPrefix: boolean } {
  const text = Buffer.from(token, "base64").toString("utf8");
  const m = /^lo2:([pk]):([\s\S]*)$/.exec(text);
  if (!m)
    throw errors.invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
  return { value: m[2], isPrefix: m[1] === "p" };
}

export function listObjectsV2(req: S3Request, ctx: S3Context, store: S3Store, name: string): S3Response {
  const bucket = accessibleBucket(store, name, ctx);
  const { requested, effective } = parseMaxKeys(req);
  const encode = encodingOf(req);
  const enc = encode ?? ((s: string) => s);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const token = req.query.get("continuation-token");
  const startAfter = req.query.get("start-after");
  const fetchOwner = req.query.get("fetch-owner") === "true";
  let after: string | undefined;
  let afterIsPrefix = false;
  if (token !== null) {
    if (token === "")
      throw errors.invalidArgument(
        "The continuation token provided is incorrect",
        "continuation-token",
        token,
      );
    ({ value: after, isPrefix: afterIsPrefix } = decodeContinuation(token));
  } else if (startAfter) {
    after = startAfter;
  }
  const page = listPage(bucket.objects, { prefix, delimiter, after, afterIsPrefix, maxKeys: effective });
  const body =
    `${el("Name", name)}${el("Prefix", enc(prefix))}${delimiter ? el("Delimiter", enc(delimiter)) : ""}` +
    `${el("MaxKeys", requested)}${encode ? el("EncodingType", "url") : ""}` +
    `${el("KeyCount", page.contents.length + page.prefixes.length)}${el("IsTruncated", page.truncated)}` +
    `${token !== null ? el("ContinuationToken", token) : ""}` +
    `${page.truncated && page.last ? el("NextContinuationToken", encodeContinuation(page.last)) : ""}` +
    `${startAfter ? el("StartAfter", enc(startAfter)) : ""}` +
    page.contents.map((o) => contentsXml(o, fetchOwner, enc, bucket.ownerAccountId)).join("") +
    page.prefixes.map((p) => `<CommonPrefixes>${el("Prefix", enc(p))}</CommonPrefixes>`).join("");
  return {
    status: 200,
    headers: { "content-type": "application/xml" },
    body: xmlDocument("ListBucketResult", body),
  };
}

/** ListObjects (v1): marker paging; NextMarker only when a delimiter was given, as in S3. */
export function listObjectsV1(req: S3Request, ctx: S3Context, store: S3Store, name: string): S3Response {
  const bucket = accessibleBucket(store, name, ctx);
  const { requested, effective } = parseMaxKeys(req);
  const encode = encodingOf(req);
  const enc = encode ?? ((s: string) => s);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const marker = req.query.get("marker") ?? "";
  const page = listPage(bucket.objects, {
    prefix,
    delimiter,
    after: marker || undefined,
    afterIsPrefix: Boolean(delimiter && marker.endsWith(delimiter)),
    maxKeys: effective,
  });
  const body =
    `${el("Name", name)}${el("Prefix", enc(prefix))}${el("Marker", enc(marker))}` +
    `${delimiter && page.truncated && page.last ? el("NextMarker", enc(page.last.value)) : ""}` +
    `${el("MaxKeys", requested)}${delimiter ? el("Delimiter", enc(delimiter)) : ""}${encode ? el("EncodingType", "url") : ""}` +
    `${el("IsTruncated", page.truncated)}` +
    page.contents.map((o) => contentsXml(o, true, enc, bucket.ownerAccountId)).join("") +
    page.prefixes.map((p) => `<CommonPrefixes>${el("Prefix", enc(p))}</CommonPrefixes>`).join("");
  return {
    status: 200,
    headers: { "content-type": "application/xml" },
    body: xmlDocument("ListBucketResult", body),
  };
}
