/**
 * The S3 bundle of an instance-store AMI: `bucket/path/x.manifest.xml` plus the part files its
 * `<parts>` list names (keys relative to the manifest's folder). Read at create/adopt time; on
 * destroy exactly the recorded keys are deleted, never a listing or a prefix.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import type { OwnedBundle } from "../types";
import { forPaginator } from "./clients";
import { errorCode, errorMessage, isNoSuchKey } from "./errors";
import { parseManifestParts } from "./manifest";

export type S3 = Pick<S3Client, "send">;

/** Split `bucket/path/x.manifest.xml` into bucket and key; throws a clear error for anything else. */
export function parseImageLocation(imageLocation: string): { bucket: string; manifestKey: string } {
  const slash = imageLocation.indexOf("/");
  const bucket = slash > 0 ? imageLocation.slice(0, slash) : "";
  const manifestKey = slash > 0 ? imageLocation.slice(slash + 1) : "";
  if (!bucket || !manifestKey || !manifestKey.endsWith(".manifest.xml")) {
    throw new Error(
      `imageLocation "${imageLocation}" is not an S3 bundle manifest: expected "bucket/path/name.manifest.xml".`,
    );
  }
  return { bucket, manifestKey };
}

/** The `bucket/key` image location of a recorded bundle. */
export function bundleLocation(bundle: OwnedBundle): string {
  return `${bundle.bucket}/${bundle.manifestKey}`;
}

export { parseManifestParts };

/** Fetch the manifest at `imageLocation` and return the bundle it describes (manifest key + part keys). */
export async function readBundle(s3: S3, imageLocation: string): Promise<OwnedBundle> {
  const { bucket, manifestKey } = parseImageLocation(imageLocation);
  let xml: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }));
    xml = (await out.Body?.transformToString("utf-8")) ?? "";
  } catch (err) {
    throw new Error(`Cannot read the bundle manifest s3://${bucket}/${manifestKey}: ${errorCode(err) || "error"}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let names: string[];
  try {
    names = parseManifestParts(xml);
  } catch (err) {
    throw new Error(`The bundle manifest s3://${bucket}/${manifestKey} is not usable: ${errorMessage(err)}.`, { cause: err });
  }
  const folder = manifestKey.includes("/") ? manifestKey.slice(0, manifestKey.lastIndexOf("/") + 1) : "";
  return { bucket, manifestKey, partKeys: [...new Set(names.map((name) => folder + name))] };
}

/** Every key of a bundle, manifest first. */
export function bundleKeys(bundle: OwnedBundle): string[] {
  return [...new Set([bundle.manifestKey, ...bundle.partKeys])];
}

/** Which of `keys` still exist in `bucket`: a listing under their common prefix, or HeadObject for a few keys. */
export async function existingKeys(s3: S3, bucket: string, keys: readonly string[]): Promise<string[]> {
  const wanted = new Set(keys);
  if (wanted.size === 0) return [];
  if (wanted.size <= 3) {
    const found: string[] = [];
    for (const key of wanted) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        found.push(key);
      } catch (err) {
        if (!isNoSuchKey(err) && errorCode(err) !== "NoSuchBucket") throw err;
      }
    }
    return found;
  }
  const prefix = commonPrefix([...wanted]);
  const found = new Set<string>();
  try {
    for await (const page of paginateListObjectsV2({ client: forPaginator(S3Client, s3) }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key && wanted.has(object.Key)) found.add(object.Key);
    }
  } catch (err) {
    if (errorCode(err) === "NoSuchBucket") return [];
    throw err;
  }
  return keys.filter((key) => found.has(key));
}

function commonPrefix(keys: string[]): string {
  let prefix = keys[0];
  for (const key of keys) while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

export interface KeyFailure {
  key: string;
  code: string;
  message: string;
}

/**
 * Delete exactly `keys` (DeleteObjects in batches of at most 1000) and report per-key failures.
 * A key that is already gone counts as deleted; so does a missing bucket.
 */
export async function deleteKeys(s3: S3, bucket: string, keys: readonly string[]): Promise<{ deleted: string[]; failed: KeyFailure[] }> {
  const unique = [...new Set(keys)];
  const deleted: string[] = [];
  const failed: KeyFailure[] = [];
  for (let i = 0; i < unique.length; i += 1000) {
    const batch = unique.slice(i, i + 1000);
    try {
      const out = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const errors = new Map((out.Errors ?? []).map((e) => [e.Key ?? "", e]));
      for (const key of batch) {
        const error = errors.get(key);
        if (!error || error.Code === "NoSuchKey") deleted.push(key);
        else failed.push({ key, code: error.Code ?? "Error", message: error.Message ?? "" });
      }
    } catch (err) {
      if (errorCode(err) === "NoSuchBucket") {
        deleted.push(...batch);
        continue;
      }
      for (const key of batch) failed.push({ key, code: errorCode(err) || "Error", message: errorMessage(err) });
    }
  }
  return { deleted, failed };
}
