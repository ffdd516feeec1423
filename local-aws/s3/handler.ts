// Dispatches one path-style S3 request to its operation and renders S3 errors
// (<Error><Code/><Message/><Resource/><RequestId/></Error>; HEAD errors have no body).
import { randomBytes } from "node:crypto";
import { parseTarget, s3ActionName } from "./actions";
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
} from "./buckets";
import { S3Error, errorXml, errors } from "./errors";
import { listObjectsV1, listObjectsV2 } from "./listing";
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from "./objects";
import { verifyContentSha256, isAwsChunked } from "./payload";
import { S3Store } from "./store";
import { S3Context, S3Request, S3Response, header } from "./types";

function route(req: S3Request, ctx: S3Context, store: S3Store): S3Response {
  const method = req.method.toUpperCase();
  const action = s3ActionName(method, req.path, req.query);
  const { bucket, key } = parseTarget(req.path);
  if (!isAwsChunked(req) && method !== "PUT") verifyContentSha256(req); // PUT bodies are checked when decoded
  if (bucket === undefined) {
    if (method === "GET") return listBuckets(req, ctx, store);
    throw errors.methodNotAllowed(method, "SERVICE");
  }
  if (key === undefined) {
    switch (action) {
      case "CreateBucket":
        verifyContentSha256(req);
        return createBucket(req, ctx, store, bucket);
      case "HeadBucket":
        return headBucket(ctx, store, bucket);
      case "DeleteBucket":
        return deleteBucket(ctx, store, bucket);
      case "ListObjectsV2":
        return listObjectsV2(req, ctx, store, bucket);
      case "ListObjects":
        return listObjectsV1(req, ctx, store, bucket);
      case "DeleteObjects":
        return deleteObjects(req, ctx, store, bucket);
      case "GetBucketLocation":
        return getBucketLocation(ctx, store, bucket);
      case "GetBucketVersioning":
        return getBucketVersioning(ctx, store, bucket);
      case "Unknown":
        throw errors.methodNotAllowed(method, "BUCKET");
      default:
        throw errors.notImplemented();
    }
  }
  switch (method) {
    case "PUT":
      if (action !== "PutObject" && action !== "CopyObject") throw errors.notImplemented();
      return header(req, "x-amz-copy-source") !== undefined
        ? copyObject(req, ctx, store, bucket, key)
        : putObject(req, ctx, store, bucket, key);
    case "GET":
    case "HEAD":
      if (action !== "GetObject" && action !== "HeadObject") throw errors.notImplemented();
      return getObject(req, ctx, store, bucket, key, method === "HEAD");
    case "DELETE":
      if (action !== "DeleteObject") throw errors.notImplemented();
      return deleteObject(ctx, store, bucket, key);
    case "POST":
      throw errors.notImplemented();
    default:
      throw errors.methodNotAllowed(method, "OBJECT");
  }
}

/**
 * Handles one S3 request for the account and region of its SigV4 credential. Never throws: failures
 * come back as S3 error responses (500 InternalError for bugs here).
 */
export async function handleS3(req: S3Request, ctx: S3Context, store: S3Store): Promise<S3Response> {
  const hostId = randomBytes(24).toString("base64");
  const base = { "x-amz-request-id": ctx.requestId, "x-amz-id-2": hostId };
  try {
    const res = route(req, ctx, store);
    return { ...res, headers: { ...base, ...(res.headers ?? {}) } };
  } catch (e) {
    const err =
      e instanceof S3Error
        ? e
        : new S3Error(
            "InternalError",
            500,
            `We encountered an internal error. Please try again. (${(e as Error).message})`,
          );
    const headers: Record<string, string> = { ...base, ...err.headers };
    if (req.method.toUpperCase() === "HEAD") return { status: err.status, headers };
    headers["content-type"] = "application/xml";
    return { status: err.status, headers, body: errorXml(err, req.path, ctx.requestId, hostId) };
  }
}
