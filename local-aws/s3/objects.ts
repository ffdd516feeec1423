// Object operations: PutObject, GetObject, HeadObject, DeleteObject (204 even when absent),
// DeleteObjects (Quiet mode, per-key Deleted/Error) and CopyObject.
import { CHECKSUM_HEADERS, ChecksumAlgorithm, checksum } from "./checksums";
import { accessibleBucket } from "./buckets";
import { S3Error, errors } from "./errors";
import { decodePayload } from "./payload";
import { S3Object, S3Store } from "./store";
import { S3Context, S3Request, S3Response, header } from "./types";
import { MalformedXmlError, child, el, parseXml, xmlDocument } from "./xml";

const MAX_KEY_BYTES = 1024;
const STORAGE_CLASSES = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
]);

function checkKey(key: string): void {
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw errors.keyTooLong();
}

function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  const suffix = Object.keys(CHECKSUM_HEADERS).find((s) => CHECKSUM_HEADERS[s] === algorithm) as string;
  return `x-amz-checksum-${suffix}`;
}

function userMetadata(req: S3Request): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) {
      meta[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
    }
  }
  return meta;
}

function storageClassOf(req: S3Request): string {
  const sc = header(req, "x-amz-storage-class") ?? "STANDARD";
  if (!STORAGE_CLASSES.has(sc))
    throw new S3Error("InvalidStorageClass", 400, "The storage class you specified is not valid", {
      StorageClassRequested: sc,
    });
  return sc;
}

/** Applies PutObject/CopyObject write conditions (If-None-Match: *, If-Match: etag). */
function checkWriteConditions(req: S3Request, existing: S3Object | undefined, key: string): void {
  const ifNoneMatch = header(req, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === "*" && existing)
    throw errors.preconditionFailed("If-None-Match");
  const ifMatch = header(req, "if-match");
  if (ifMatch !== undefined) {
    if (!existing) throw errors.noSuchKey(key);
    if (!etagMatches(ifMatch, existing.etag)) throw errors.preconditionFailed("If-Match");
  }
}

function etagMatches(condition: string, etag: string): boolean {
  return condition
    .split(",")
    .map((c) => c.trim())
    .some((c) => c === "*" || c === etag || `"${c}"` === etag);
}

export function putObject(
  req: S3Request,
  ctx: S3Context,
  store: S3Store,
  bucketName: string,
  key: string,
): S3Response {
  checkKey(key);
  const bucket = accessibleBucket(store, bucketName, ctx);
  const payload = decodePayload(req);
  const storageClass = storageClassOf(req);
  checkWriteConditions(req, bucket.objects.get(key), key);
  const requestedAlgorithm = header(req, "x-amz-sdk-checksum-algorithm")?.toUpperCase() as
    ChecksumAlgorithm | undefined;
  const algorithm =
    payload.checksum?.algorithm ??
    (requestedAlgorithm && Object.values(CHECKSUM_HEADERS).includes(requestedAlgorithm)
      ? requestedAlgorithm
      : undefined);
  const object = store.putObject(bucketName, key, payload.body, {
    contentType: header(req, "content-type"),
    metadata: userMetadata(req),
    checksumAlgorithm: algorithm,
  });
  object.storageClass = storageClass;
  object.contentEncoding = payload.contentEncoding;
  object.contentDisposition = header(req, "content-disposition");
  object.contentLanguage = header(req, "content-language");
  object.cacheControl = header(req, "cache-control");
  object.expires = header(req, "expires");
  const headers: Record<string, string> = { etag: object.etag, "x-amz-server-side-encryption": "AES256" };
  if (algorithm) {
    headers[checksumHeaderName(object.checksumAlgorithm)] = object.checksumValue;
    headers["x-amz-checksum-type"] = "FULL_OBJECT";
  }
  return { status: 200, headers };
}

/** Resolves `Range: bytes=a-b | a- | -n`; undefined for none or an unsupported form (whole object). */
function parseRange(range: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!range) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) throw errors.invalidRange(size, range);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined; // syntactically invalid: S3 ignores it
  }
  if (start >= size) throw errors.invalidRange(size, range);
  return { start, end };
}

function readConditions(req: S3Request, object: S3Object): S3Response | undefined {
  const ifMatch = header(req, "if-match");
  if (ifMatch !== undefined && !etagMatches(ifMatch, object.etag))
    throw errors.preconditionFailed("If-Match");
  const ifUnmodified = header(req, "if-unmodified-since");
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (!Number.isNaN(t) && object.lastModified.getTime() > t)
      throw errors.preconditionFailed("If-Unmodified-Since");
  }
  const notModified = {
    status: 304,
    headers: { etag: object.etag, "last-modified": object.lastModified.toUTCString() },
  };
  const ifNoneMatch = header(req, "if-none-match");
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, object.etag)) return notModified;
  const ifModified = header(req, "if-modified-since");
  if (ifNoneMatch === undefined && ifModified !== undefined) {
    const t = Date.parse(ifModified);
    if (!Number.isNaN(t) && object.lastModified.getTime() <= t) return notModified;
  }
  return undefined;
}

/** GetObject and HeadObject: the same headers; HEAD carries Content-Length but no body. */
export function getObject(
  req: S3Request,
  ctx: S3Context,
  store: S3Store,
  bucketName: string,
  key: string,
  head: boolean,
): S3Response {
  const bucket = accessibleBucket(store, bucketName, ctx);
  const object = bucket.objects.get(key);
  if (!object) throw errors.noSuchKey(key);
  const conditional = readConditions(req, object);
  if (conditional) return conditional;
  const size = object.body.length;
  const range = parseRange(header(req, "range"), size);
  const headers: Record<string, string> = {
    "content-type": object.contentType,
    etag: object.etag,
    "last-modified": object.lastModified.toUTCString(),
    "accept-ranges": "bytes",
    "x-amz-server-side-encryption": "AES256",
  };
  if (object.storageClass !== "STANDARD") headers["x-amz-storage-class"] = object.storageClass;
  for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
  const optional: Array<[string, string | undefined]> = [
    ["content-encoding", object.contentEncoding],
    ["content-disposition", object.contentDisposition],
    ["content-language", object.contentLanguage],
    ["cache-control", object.cacheControl],
    ["expires", object.expires],
  ];
  for (const [k, v] of optional) if (v !== undefined) headers[k] = v;
  if (!head) {
    for (const [param, name] of [
      ["response-content-type", "content-type"],
      ["response-content-disposition", "content-disposition"],
      ["response-content-encoding", "content-encoding"],
      ["response-content-language", "content-language"],
      ["response-cache-control", "cache-control"],
      ["response-expires", "expires"],
    ]) {
      const v = req.query.get(param);
      if (v !== null) headers[name] = v;
    }
  }
  if ((header(req, "x-amz-checksum-mode") ?? "").toUpperCase() === "ENABLED" && !range) {
    headers[checksumHeaderName(object.checksumAlgorithm)] = object.checksumValue;
    headers["x-amz-checksum-type"] = "FULL_OBJECT";
  }
  let body = object.body;
  let status = 200;
  if (range) {
    status = 206;
    body = object.body.subarray(range.start, range.end + 1);
    headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  }
  headers["content-length"] = String(body.length);
  return head ? { status, headers } : { status, headers, body };
}

export function deleteObject(ctx: S3Context, store: S3Store, bucketName: string, key: string): S3Response {
  accessibleBucket(store, bucketName, ctx);
  if (store.isDeleteDenied(bucketName, key)) throw errors.accessDenied();
  store.deleteObject(bucketName, key);
  return { status: 204 };
}

/** DeleteObjects: up to 1000 keys; needs Content-MD5 or an x-amz-checksum-* (as S3 does). */
export function deleteObjects(
  req: S3Request,
  ctx: S3Context,
  store: S3Store,
  bucketName: string,
): S3Response {
  const hasIntegrity =
    header(req, "content-md5") !== undefined ||
    Object.keys(CHECKSUM_HEADERS).some((s) => header(req, `x-amz-checksum-${s}`) !== undefined) ||
    header(req, "x-amz-trailer") !== undefined;
  if (!hasIntegrity) {
    throw errors.invalidRequest("Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
  }
  accessibleBucket(store, bucketName, ctx);
  const { body } = decodePayload(req);
  let root;
  try {
    root = parseXml(body.toString("utf8"));
  } catch (e) {
    if (e instanceof MalformedXmlError) throw errors.malformedXml();
    throw e;
  }
  if (root.name !== "Delete") throw errors.malformedXml();
  const objects = root.children.filter((c) => c.name === "Object");
  if (objects.length === 0 || objects.length > 1000) throw errors.malformedXml();
  const quiet = (child(root, "Quiet")?.text ?? "").trim().toLowerCase() === "true";
  const keys = objects.map((o) => {
    const k = child(o, "Key");
    if (!k) throw errors.malformedXml();
    return k.text;
  });
  let out = "";
  for (const key of keys) {
    if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
      out += `<Error>${el("Key", key)}${el("Code", "KeyTooLongError")}${el("Message", "Your key is too long")}</Error>`;
    } else if (store.isDeleteDenied(bucketName, key)) {
      out += `<Error>${el("Key", key)}${el("Code", "AccessDenied")}${el("Message", "Access Denied")}</Error>`;
    } else {
      store.deleteObject(bucketName, key);
      if (!quiet) out += `<Deleted>${el("Key", key)}</Deleted>`;
    }
  }
  return {
    status: 200,
    headers: { "content-type": "application/xml" },
    body: xmlDocument("DeleteResult", out),
  };
}

/** Splits x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded, optional ?versionId=). */
function parseCopySource(raw: string): { bucket: string; key: string } {
  let source = raw.split("?")[0];
  try {
    source = decodeURIComponent(source);
  } catch {
    /* use as is */
  }
  if (source.startsWith("/")) source = source.slice(1);
  const slash = source.indexOf("/");
  if (slash <= 0 || slash === source.length - 1) {
    throw errors.invalidArgument(
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
      "x-amz-copy-source",
      raw,
    );
  }
  return { bucket: source.slice(0, slash), key: source.slice(slash + 1) };
}

export function copyObject(
  req: S3Request,
  ctx: S3Context,
  store: S3Store,
  bucketName: string,
  key: string,
): S3Response {
  checkKey(key);
  const src = parseCopySource(header(req, "x-amz-copy-source") ?? "");
  const target = accessibleBucket(store, bucketName, ctx);
  const sourceBucket = accessibleBucket(store, src.bucket, ctx, false);
  const source = sourceBucket.objects.get(src.key);
  if (!source) throw errors.noSuchKey(src.key);
  const directive = (header(req, "x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw errors.invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
  }
  const storageClass = header(req, "x-amz-storage-class");
  const requestedAlgorithm = header(req, "x-amz-checksum-algorithm")?.toUpperCase() as
    ChecksumAlgorithm | undefined;
  if (
    src.bucket === bucketName &&
    src.key === key &&
    directive === "COPY" &&
    storageClass === undefined &&
    requestedAlgorithm === undefined
  ) {
    throw errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  checkWriteConditions(req, target.objects.get(key), key);
  const replace = directive === "REPLACE";
  const algorithm =
    requestedAlgorithm && Object.values(CHECKSUM_HEADERS).includes(requestedAlgorithm)
      ? requestedAlgorithm
      : source.checksumAlgorithm;
  const copy = store.putObject(bucketName, key, source.body, {
    contentType: replace ? header(req, "content-type") : source.contentType,
    metadata: replace ? userMetadata(req) : source.metadata,
    checksumAlgorithm: algorithm,
  });
  copy.storageClass = storageClass ? storageClassOf(req) : source.storageClass;
  if (!replace) {
    copy.contentEncoding = source.contentEncoding;
    copy.contentDisposition = source.contentDisposition;
    copy.contentLanguage = source.contentLanguage;
    copy.cacheControl = source.cacheControl;
    copy.expires = source.expires;
  }
  const checksumElement = `Checksum${copy.checksumAlgorithm}`;
  const body = xmlDocument(
    "CopyObjectResult",
    `${el("ETag", copy.etag)}${el("LastModified", copy.lastModified.toISOString())}` +
      `${el("ChecksumType", "FULL_OBJECT")}${el(checksumElement, checksum(copy.checksumAlgorithm, copy.body))}`,
  );
  return {
    status: 200,
    headers: { "content-type": "application/xml", "x-amz-server-side-encryption": "AES256" },
    body,
  };
}
