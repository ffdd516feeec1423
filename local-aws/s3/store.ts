// In-memory S3 state. Bucket names are global (one namespace for every account and region, as in S3);
// each bucket records its owner account and region. Keys are held in UTF-8 binary order when listed.
import { createHash } from "node:crypto";
import { ChecksumAlgorithm, checksum, md5Hex } from "./checksums";

export interface S3Object {
  key: string;
  body: Buffer;
  /** Quoted MD5 of the body, as S3 reports it. */
  etag: string;
  lastModified: Date;
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  metadata: Record<string, string>;
  checksumAlgorithm: ChecksumAlgorithm;
  /** Base64 full-object checksum with checksumAlgorithm. */
  checksumValue: string;
  storageClass: string;
}

export interface S3Bucket {
  name: string;
  ownerAccountId: string;
  region: string;
  creationDate: Date;
  objects: Map<string, S3Object>;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
}

/** Compares keys the way S3 lists them: by UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** S3's canonical user id for an account (64 hex chars), stable per account. */
export function canonicalUserId(accountId: string): string {
  return createHash("sha256").update(`local-aws-canonical:${accountId}`).digest("hex");
}

export class S3Store {
  readonly buckets = new Map<string, S3Bucket>();
  private readonly deleteDenials: Array<{ bucket: string; match: (key: string) => boolean }> = [];

  /** Creates a bucket owned by `ownerAccountId` in `region`; a no-op if that owner already has it. */
  createBucket(bucket: string, ownerAccountId: string, region: string): S3Bucket {
    const existing = this.buckets.get(bucket);
    if (existing) {
      if (existing.ownerAccountId !== ownerAccountId) {
        throw new Error(
          `S3Store.createBucket: bucket ${bucket} already exists and belongs to ${existing.ownerAccountId}`,
        );
      }
      return existing;
    }
    const created: S3Bucket = {
      name: bucket,
      ownerAccountId,
      region,
      creationDate: new Date(),
      objects: new Map(),
    };
    this.buckets.set(bucket, created);
    return created;
  }

  getBucket(bucket: string): S3Bucket | undefined {
    return this.buckets.get(bucket);
  }

  hasBucket(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  deleteBucket(bucket: string): boolean {
    return this.buckets.delete(bucket);
  }

  /** Stores an object (bucket must exist); the default checksum is CRC64NVME, as S3 computes for new objects. */
  putObject(bucket: string, key: string, body: string | Buffer, opts: PutOptions = {}): S3Object {
    const b = this.buckets.get(bucket);
    if (!b)
      throw new Error(
        `S3Store.putObject: bucket ${bucket} does not exist; create it first with createBucket`,
      );
    const data = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
    const algorithm = opts.checksumAlgorithm ?? "CRC64NVME";
    const object: S3Object = {
      key,
      body: data,
      etag: `"${md5Hex(data)}"`,
      lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
      contentType: opts.contentType ?? "binary/octet-stream",
      metadata: { ...(opts.metadata ?? {}) },
      checksumAlgorithm: algorithm,
      checksumValue: checksum(algorithm, data),
      storageClass: "STANDARD",
    };
    b.objects.set(key, object);
    return object;
  }

  /** The object, or undefined when the bucket or key does not exist. */
  getObject(bucket: string, key: string): S3Object | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  hasObject(bucket: string, key: string): boolean {
    return this.getObject(bucket, key) !== undefined;
  }

  /** Removes an object; returns whether it existed. Ignores delete denials (those model a bucket policy). */
  deleteObject(bucket: string, key: string): boolean {
    return this.buckets.get(bucket)?.objects.delete(key) ?? false;
  }

  /** Keys in the bucket (optionally under a prefix) in S3 list order; [] when the bucket does not exist. */
  listKeys(bucket: string, prefix = ""): string[] {
    const b = this.buckets.get(bucket);
    if (!b) return [];
    return [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  /** Buckets owned by an account (all buckets when omitted), sorted by name. */
  listBuckets(ownerAccountId?: string): S3Bucket[] {
    return [...this.buckets.values()]
      .filter((b) => ownerAccountId === undefined || b.ownerAccountId === ownerAccountId)
      .sort((a, b) => compareKeys(a.name, b.name));
  }

  /**
   * Makes DeleteObject / DeleteObjects answer AccessDenied for matching keys, like a bucket policy that
   * denies s3:DeleteObject. `key` is an exact key, or a function. Cleared by allowDeletes().
   */
  denyDelete(bucket: string, key: string | ((key: string) => boolean)): void {
    this.deleteDenials.push({ bucket, match: typeof key === "string" ? (k) => k === key : key });
  }

  allowDeletes(): void {
    this.deleteDenials.length = 0;
  }

  isDeleteDenied(bucket: string, key: string): boolean {
    return this.deleteDenials.some((d) => d.bucket === bucket && d.match(key));
  }
}
