// Names each S3 request by its API operation (for the request log and fault injection) and splits a
// path-style URL into bucket and key.

export interface S3Target {
  bucket?: string;
  key?: string;
}

/** "/bucket/a%2Fb/c" → { bucket: "bucket", key: "a/b/c" }; "/" → {}; "/bucket/" → { bucket }. */
export function parseTarget(path: string): S3Target {
  const p = path.startsWith("/") ? path.slice(1) : path;
  if (p === "") return {};
  const slash = p.indexOf("/");
  const rawBucket = slash < 0 ? p : p.slice(0, slash);
  const rawKey = slash < 0 ? "" : p.slice(slash + 1);
  const bucket = safeDecode(rawBucket);
  return rawKey === "" ? { bucket } : { bucket, key: safeDecode(rawKey) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Bucket subresources and the operation-name stem used with Get/Put/Delete. */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  location: "BucketLocation",
  versioning: "BucketVersioning",
  acl: "BucketAcl",
  policy: "BucketPolicy",
  policyStatus: "BucketPolicyStatus",
  tagging: "BucketTagging",
  lifecycle: "BucketLifecycleConfiguration",
  cors: "BucketCors",
  encryption: "BucketEncryption",
  ownershipControls: "BucketOwnershipControls",
  publicAccessBlock: "PublicAccessBlock",
  notification: "BucketNotificationConfiguration",
  logging: "BucketLogging",
  website: "BucketWebsite",
  replication: "BucketReplication",
  "object-lock": "ObjectLockConfiguration",
  accelerate: "BucketAccelerateConfiguration",
  requestPayment: "BucketRequestPayment",
};

const OBJECT_SUBRESOURCES: Record<string, string> = {
  acl: "ObjectAcl",
  tagging: "ObjectTagging",
  retention: "ObjectRetention",
  "legal-hold": "ObjectLegalHold",
  attributes: "ObjectAttributes",
  torrent: "ObjectTorrent",
};

const VERB: Record<string, string> = { GET: "Get", PUT: "Put", DELETE: "Delete" };

/**
 * The S3 operation a request invokes, e.g. "PutObject", "ListObjectsV2", "DeleteObjects". The SDK's
 * `x-id` query parameter wins when present (it is how CopyObject is told apart from PutObject by URL).
 */
export function s3ActionName(method: string, path: string, query: URLSearchParams): string {
  const m = method.toUpperCase();
  const xId = query.get("x-id");
  if (xId && /^[A-Za-z0-9]+$/.test(xId)) return xId;
  const { bucket, key } = parseTarget(path);
  if (bucket === undefined) return m === "GET" ? "ListBuckets" : "Unknown";
  if (key === undefined) {
    if (m === "HEAD") return "HeadBucket";
    if (m === "POST") return query.has("delete") ? "DeleteObjects" : "Unknown";
    for (const [sub, stem] of Object.entries(BUCKET_SUBRESOURCES)) {
      if (query.has(sub) && VERB[m]) return VERB[m] + stem;
    }
    if (m === "GET") {
      if (query.has("uploads")) return "ListMultipartUploads";
      if (query.has("versions")) return "ListObjectVersions";
      return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
    }
    if (m === "PUT") return "CreateBucket";
    if (m === "DELETE") return "DeleteBucket";
    return "Unknown";
  }
  if (m === "HEAD") return "HeadObject";
  if (m === "POST") {
    if (query.has("uploads")) return "CreateMultipartUpload";
    if (query.has("uploadId")) return "CompleteMultipartUpload";
    if (query.has("restore")) return "RestoreObject";
    if (query.has("select")) return "SelectObjectContent";
    return "Unknown";
  }
  if (query.has("uploadId")) {
    if (m === "PUT") return "UploadPart";
    if (m === "GET") return "ListParts";
    if (m === "DELETE") return "AbortMultipartUpload";
  }
  for (const [sub, stem] of Object.entries(OBJECT_SUBRESOURCES)) {
    if (query.has(sub) && VERB[m]) return VERB[m] + stem;
  }
  if (m === "GET") return "GetObject";
  if (m === "PUT") return "PutObject";
  if (m === "DELETE") return "DeleteObject";
  return "Unknown";
}
