// Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation,
// GetBucketVersioning, and the access rule every bucket-scoped request passes first.
import { errors } from "./errors";
import { S3Bucket, S3Store, canonicalUserId, compareKeys } from "./store";
import { S3Context, S3Request, S3Response } from "./types";
import { MalformedXmlError, child, el, parseXml, xmlDocument } from "./xml";

const XML = { "content-type": "application/xml" };

/**
 * The bucket a request may act on: NoSuchBucket if absent, PermanentRedirect (301) if it lives in
 * another region than the request was signed for, AccessDenied if another account owns it.
 */
export function accessibleBucket(store: S3Store, name: string, ctx: S3Context, checkRegion = true): S3Bucket {
  const bucket = store.getBucket(name);
  if (!bucket) throw errors.noSuchBucket(name);
  if (checkRegion && bucket.region !== ctx.region) throw errors.permanentRedirect(name, bucket.region);
  if (bucket.ownerAccountId !== ctx.accountId) throw errors.accessDenied();
  return bucket;
}

/** S3's naming rules for general purpose buckets. */
export function isValidBucketName(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

export function createBucket(req: S3Request, ctx: S3Context, store: S3Store, name: string): S3Response {
  if (!isValidBucketName(name)) throw errors.invalidBucketName(name);
  let constraint = "";
  const text = req.body.toString("utf8").trim();
  if (text) {
    let root;
    try {
      root = parseXml(text);
    } catch (e) {
      if (e instanceof MalformedXmlError) throw errors.malformedXml();
      throw e;
    }
    if (root.name !== "CreateBucketConfiguration") throw errors.malformedXml();
    constraint = (child(root, "LocationConstraint")?.text ?? "").trim();
  }
  if (constraint === "EU") constraint = "eu-west-1";
  if (constraint === "us-east-1" || (constraint && !REGION.test(constraint))) {
    throw errors.invalidLocationConstraint(constraint);
  }
  // The us-east-1 endpoint accepts any location constraint; every other regional endpoint requires its own.
  if (ctx.region !== "us-east-1" && constraint !== ctx.region)
    throw errors.illegalLocationConstraint(constraint);
  const region = constraint || "us-east-1";
  const existing = store.getBucket(name);
  if (existing) {
    if (existing.ownerAccountId !== ctx.accountId) throw errors.bucketAlreadyExists(name);
    // Legacy behaviour: re-creating your own bucket in North Virginia answers 200 OK.
    if (!(ctx.region === "us-east-1" && existing.region === "us-east-1" && region === "us-east-1")) {
      throw errors.bucketAlreadyOwnedByYou(name);
    }
  } else {
    store.createBucket(name, ctx.accountId, region);
  }
  return { status: 200, headers: { location: `/${name}` } };
}

export function headBucket(ctx: S3Context, store: S3Store, name: string): S3Response {
  const bucket = store.getBucket(name);
  if (bucket && bucket.ownerAccountId !== ctx.accountId) {
    // S3 still tells a caller without access where the bucket lives.
    const denied = errors.accessDenied();
    Object.assign(denied.headers, { "x-amz-bucket-region": bucket.region });
    throw denied;
  }
  const own = accessibleBucket(store, name, ctx);
  return { status: 200, headers: { "x-amz-bucket-region": own.region, "x-amz-access-point-alias": "false" } };
}

export function deleteBucket(ctx: S3Context, store: S3Store, name: string): S3Response {
  const bucket = accessibleBucket(store, name, ctx);
  if (bucket.objects.size > 0) throw errors.bucketNotEmpty(name);
  store.deleteBucket(name);
  return { status: 204 };
}

/** GetBucketLocation answers from any region; us-east-1 is the empty constraint. */
export function getBucketLocation(ctx: S3Context, store: S3Store, name: string): S3Response {
  const bucket = accessibleBucket(store, name, ctx, false);
  const value = bucket.region === "us-east-1" ? "" : bucket.region;
  return { status: 200, headers: XML, body: xmlDocument("LocationConstraint", value) };
}

/** Versioning is never enabled on this endpoint: an empty VersioningConfiguration. */
export function getBucketVersioning(ctx: S3Context, store: S3Store, name: string): S3Response {
  accessibleBucket(store, name, ctx);
  return { status: 200, headers: XML, body: xmlDocument("VersioningConfiguration", "") };
}

function encodeToken(value: string): string {
  return Buffer.from(`lb1:${value}`, "utf8").toString("base64");
}

function decodeToken(token: string, argument: string): string {
  const text = Buffer.from(token, "base64").toString("utf8");
  if (!text.startsWith("lb1:")) {
    throw errors.invalidArgument("The continuation token provided is incorrect", argument, token);
  }
  return text.slice(4);
}

/** ListBuckets: the caller's buckets by name, with optional prefix, bucket-region and max-buckets paging. */
export function listBuckets(req: S3Request, ctx: S3Context, store: S3Store): S3Response {
  const maxParam = req.query.get("max-buckets");
  let max = Infinity;
  if (maxParam !== null) {
    max = Number(maxParam);
    if (!/^\d+$/.test(maxParam) || max < 1 || max > 10000) {
      throw errors.invalidArgument(
        "Argument max-buckets must be an integer between 1 and 10000.",
        "max-buckets",
        maxParam,
      );
    }
  }
  const prefix = req.query.get("prefix") ?? "";
  const region = req.query.get("bucket-region");
  const token = req.query.get("continuation-token");
  const after = token ? decodeToken(token, "continuation-token") : undefined;
  const all = store
    .listBuckets(ctx.accountId)
    .filter((b) => b.name.startsWith(prefix) && (!region || b.region === region))
    .filter((b) => after === undefined || compareKeys(b.name, after) > 0);
  const page = all.slice(0, max === Infinity ? all.length : max);
  const next = all.length > page.length ? encodeToken(page[page.length - 1].name) : undefined;
  const buckets = page
    .map(
      (b) =>
        `<Bucket>${el("Name", b.name)}${el("CreationDate", b.creationDate.toISOString())}${el("BucketRegion", b.region)}</Bucket>`,
    )
    .join("");
  const body =
    `<Owner>${el("ID", canonicalUserId(ctx.accountId))}</Owner><Buckets>${buckets}</Buckets>` +
    `${el("ContinuationToken", next)}${prefix ? el("Prefix", prefix) : ""}`;
  return { status: 200, headers: XML, body: xmlDocument("ListAllMyBucketsResult", body) };
}
