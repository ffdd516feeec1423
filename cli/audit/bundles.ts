/**
 * Instance-store bundles in S3: finds `*.manifest.xml` objects that no registered image uses,
 * reads the parts each manifest lists, and sums their bytes. Read-only.
 */
import {
  GetBucketLocationCommand,
  GetObjectCommand,
  ListObjectsV2CommandOutput,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { parseManifestParts } from "../../provider/aws/bundles";

type S3 = Pick<S3Client, "send">;

/** One orphaned instance-store bundle, as printed and as written by `--json`. */
export interface OrphanedBundle {
  bucket: string;
  region: string;
  /** The account that owns the bucket's objects (set by the scan). */
  accountId?: string;
  manifestKey: string;
  partKeys: string[];
  /** Manifest plus every part that exists. */
  totalBytes: number;
  /** Listed parts that are not in the bucket (nothing to delete for them). */
  missingPartKeys: string[];
  ageDays: number;
  reason: "manifest-not-registered";
}

/** A manifest object seen while listing a bucket. */
export interface ManifestObject {
  key: string;
  size: number;
  lastModified?: Date;
}

const MANIFEST_SUFFIX = ".manifest.xml";
/** Manifests larger than this are not bundle manifests (a real one lists parts, a few KB). */
const MAX_MANIFEST_BYTES = 5 * 1024 * 1024;
const DAY_MS = 86_400_000;

/** The bucket's region (GetBucketLocation: empty means us-east-1, `EU` means eu-west-1). */
export async function bucketRegion(s3: S3, bucket: string): Promise<string> {
  const out = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
  const loc = out.LocationConstraint as string | undefined;
  if (!loc) return "us-east-1";
  return loc === "EU" ? "eu-west-1" : loc;
}

/** Streams the bucket's `*.manifest.xml` objects, 1000 keys a page; nothing else is kept. */
export async function* listManifests(s3: S3 & S3Client, bucket: string): AsyncGenerator<ManifestObject> {
  const pages = paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket: bucket, MaxKeys: 1000 });
  for await (const page of pages as AsyncIterable<ListObjectsV2CommandOutput>) {
    for (const obj of page.Contents ?? []) {
      if (obj.Key && obj.Key.endsWith(MANIFEST_SUFFIX)) {
        yield { key: obj.Key, size: obj.Size ?? 0, lastModified: obj.LastModified };
      }
    }
  }
}

/**
 * The part file names a bundle manifest lists, or `undefined` when the document is not an AMI
 * bundle manifest (the provider's own parser: one reading of a manifest for create and audit).
 */
export function manifestParts(xml: string): string[] | undefined {
  if (!/<manifest[\s>]/.test(xml)) return undefined;
  try {
    return parseManifestParts(xml);
  } catch {
    return undefined;
  }
}

/** The folder of a key, with its trailing slash (`""` at the bucket root). */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? "" : key.slice(0, slash + 1);
}

/** Reads a manifest and sizes its parts (one listing of the parts' common prefix). */
export async function readBundle(
  s3: S3 & S3Client,
  bucket: string,
  manifest: ManifestObject,
): Promise<{ partKeys: string[]; totalBytes: number; missingPartKeys: string[] } | undefined> {
  if (manifest.size > MAX_MANIFEST_BYTES) return undefined;
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifest.key }));
  const xml = (await got.Body?.transformToString("utf8")) ?? "";
  const names = manifestParts(xml);
  if (!names) return undefined;
  const folder = folderOf(manifest.key);
  const partKeys = [...new Set(names.map((n) => folder + n))];
  const sizes = new Map<string, number>();
  const wanted = new Set(partKeys);
  const prefix = folder + commonPrefix(names);
  const pages = paginateListObjectsV2(
    { client: s3, pageSize: 1000 },
    { Bucket: bucket, Prefix: prefix, MaxKeys: 1000 },
  );
  for await (const page of pages as AsyncIterable<ListObjectsV2CommandOutput>) {
    for (const obj of page.Contents ?? []) {
      if (obj.Key && wanted.has(obj.Key)) sizes.set(obj.Key, obj.Size ?? 0);
    }
  }
  let totalBytes = manifest.size;
  for (const size of sizes.values()) totalBytes += size;
  return { partKeys, totalBytes, missingPartKeys: partKeys.filter((k) => !sizes.has(k)) };
}

function commonPrefix(names: string[]): string {
  let prefix = names[0];
  for (const n of names) {
    while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/**
 * The bundles in `bucket` whose manifest location (`bucket/key`) no registered image uses.
 * `usedLocations` must hold the ImageLocation of every registered image in the bucket's region.
 */
export async function findOrphanedBundles(
  s3: S3 & S3Client,
  bucket: string,
  region: string,
  usedLocations: ReadonlySet<string>,
  opts: { now: Date; olderThanMs?: number; onManifest?: () => void },
): Promise<{ orphans: OrphanedBundle[]; unreadable: string[] }> {
  const orphans: OrphanedBundle[] = [];
  const unreadable: string[] = [];
  for await (const manifest of listManifests(s3, bucket)) {
    opts.onManifest?.();
    if (usedLocations.has(`${bucket}/${manifest.key}`)) continue;
    const modified = manifest.lastModified?.getTime() ?? opts.now.getTime();
    const ageMs = Math.max(0, opts.now.getTime() - modified);
    if (ageMs < (opts.olderThanMs ?? 0)) continue;
    const bundle = await readBundle(s3, bucket, manifest);
    if (!bundle) {
      unreadable.push(manifest.key);
      continue;
    }
    orphans.push({
      bucket,
      region,
      manifestKey: manifest.key,
      partKeys: bundle.partKeys,
      totalBytes: bundle.totalBytes,
      missingPartKeys: bundle.missingPartKeys,
      ageDays: Math.floor(ageMs / DAY_MS),
      reason: "manifest-not-registered",
    });
  }
  return { orphans, unreadable };
}
