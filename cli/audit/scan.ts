/**
 * The read-only scan: per region, one paginated pass over the account's images (what is in use),
 * then one paginated pass over its snapshots, classified page by page; with buckets, a pass over
 * their manifests. Holds only id sets and the orphans found, never a whole listing.
 */
import {
  DescribeImagesCommandOutput,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotTierStatusCommandOutput,
  DescribeSnapshotsCommandOutput,
  EC2Client,
  Image,
  ListImagesInRecycleBinCommandOutput,
  ListSnapshotsInRecycleBinCommandOutput,
  paginateDescribeImages,
  paginateDescribeSnapshotTierStatus,
  paginateDescribeSnapshots,
  paginateListImagesInRecycleBin,
  paginateListSnapshotsInRecycleBin,
} from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { errorCode, errorMessage } from "../../provider/aws/errors";
import { archivedSince } from "../../provider/aws/snapshots";
import {
  OrphanedSnapshot,
  SERVICE_KINDS,
  ServiceKind,
  SnapshotLockInfo,
  TagFilter,
  classifySnapshot,
} from "./classify";
import { OrphanedBundle, bucketRegion, findOrphanedBundles } from "./bundles";
import { UnusedImage, blockedImages, idleImage, referencesUnavailable } from "./unusedImages";
import { snapshotMonthlyUsd } from "./pricing";

/** A listed snapshot plus what pricing needs (not part of the JSON shape). */
export interface ListedSnapshot extends OrphanedSnapshot {
  storageTier: string;
  /** Set when the snapshot is locked: `--delete` never attempts it. */
  lock?: SnapshotLockInfo;
  /** Archive tier only: when it was archived (`archivedSince`), for the 90-day early-deletion note. */
  archivedAt?: Date;
}

/** Something in the Recycle Bin (`--recycle-bin`): still billed until it leaves. Never deleted. */
export interface BinnedItem {
  id: string;
  region: string;
  accountId: string;
  exitTime?: string;
  /** Snapshots only; `null` when AWS does not report it (ListSnapshotsInRecycleBin has no size). */
  sizeGiB?: number | null;
}

/** What the filters and the service rules left out (the JSON's `excluded`). */
export interface Excluded {
  olderThan: number;
  excludeTag: number;
  managedByService: Record<ServiceKind, number>;
}

export function emptyExcluded(): Excluded {
  return {
    olderThan: 0,
    excludeTag: 0,
    managedByService: Object.fromEntries(SERVICE_KINDS.map((k) => [k, 0])) as Record<ServiceKind, number>,
  };
}

/** What the scan reports as it goes (drives the progress bar). */
export interface ScanProgress {
  phase: "images" | "snapshots" | "bundles" | "done";
  region?: string;
  bucket?: string;
  regionsDone: number;
  regionsTotal: number;
  imagesScanned: number;
  snapshotsScanned: number;
  manifestsScanned: number;
  orphansFound: number;
}

/** Client factories (one client per region), so tests and the CLI choose endpoints and retries. */
export interface AuditClients {
  ec2(region: string): EC2Client;
  s3(region: string): S3Client;
}

export interface ScanOptions {
  regions: readonly string[];
  /** The account scanned (recorded on every item); default "self". */
  accountId?: string;
  /** Shared across accounts: bounds account × region scans at once (`--concurrency`). */
  limiter?: Limiter;
  /** Also list snapshots and images in the Recycle Bin. */
  recycleBin?: boolean;
  /** `--unused-images AGE`: list images idle this long (ms) with no blocking reference. */
  unusedImagesMs?: number;
  buckets?: readonly string[];
  olderThanMs?: number;
  excludeTags?: readonly TagFilter[];
  clients: AuditClients;
  /** Region used for region-independent calls (GetBucketLocation); default the first of `regions`. */
  homeRegion?: string;
  /** Regions scanned at once (AWS's request buckets are per region); default 4. */
  regionConcurrency?: number;
  onProgress?: (p: ScanProgress) => void;
  /** Clock; default `() => new Date()`. */
  now?: () => Date;
}

export interface ScanResult {
  scanStartedAt: Date;
  orphanedSnapshots: ListedSnapshot[];
  orphanedBundles: OrphanedBundle[];
  imagesScanned: number;
  snapshotsScanned: number;
  manifestsScanned: number;
  /** Snapshots left out, by why (referenced, excluded, too-new, …). */
  skipped: Record<string, number>;
  /** Manifests named `*.manifest.xml` that are not AMI bundle manifests (left alone). */
  unreadableManifests: string[];
  excluded: Excluded;
  recycleBin: { snapshots: BinnedItem[]; images: BinnedItem[] };
  /** Things the scan could not check, each naming the call and the permission. */
  warnings: string[];
  unusedImages: UnusedImage[];
}

/** What the image pass of one region keeps: three id sets, nothing else. */
export interface RegionImages {
  referencedSnapshots: Set<string>;
  registeredImages: Set<string>;
  manifestLocations: Set<string>;
  /** Images in the Recycle Bin (filled by the scan). */
  binnedImages?: Set<string>;
}

const PAGE = 1000;

/**
 * Every registered image the account owns in the region (pending, available, failed and
 * disabled ones included: their snapshots are still theirs), reduced to id sets page by page.
 */
export async function scanImages(
  ec2: EC2Client,
  onPage?: (count: number) => void,
  onImage?: (img: Image) => void,
): Promise<RegionImages> {
  const out: RegionImages = {
    referencedSnapshots: new Set(),
    registeredImages: new Set(),
    manifestLocations: new Set(),
  };
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: PAGE },
    { Owners: ["self"], IncludeDisabled: true, IncludeDeprecated: true, MaxResults: PAGE },
  );
  for await (const page of pages as AsyncIterable<DescribeImagesCommandOutput>) {
    const images = page.Images ?? [];
    for (const img of images) {
      if (!img.ImageId || img.State === "deregistered") continue;
      onImage?.(img);
      out.registeredImages.add(img.ImageId);
      for (const bdm of img.BlockDeviceMappings ?? []) {
        if (bdm.Ebs?.SnapshotId) out.referencedSnapshots.add(bdm.Ebs.SnapshotId);
      }
      if (img.RootDeviceType === "instance-store" && img.ImageLocation)
        out.manifestLocations.add(img.ImageLocation);
    }
    onPage?.(images.length);
  }
  return out;
}

/** Runs the scan over every region (and bucket) in `opts`. Read-only. */
export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const now = opts.now ?? (() => new Date());
  const scanStartedAt = now();
  const result: ScanResult = {
    scanStartedAt,
    orphanedSnapshots: [],
    orphanedBundles: [],
    imagesScanned: 0,
    snapshotsScanned: 0,
    manifestsScanned: 0,
    skipped: {},
    unreadableManifests: [],
    excluded: emptyExcluded(),
    recycleBin: { snapshots: [], images: [] },
    warnings: [],
    unusedImages: [],
  };
  const accountId = opts.accountId ?? "self";
  const limiter = opts.limiter ?? new Limiter(opts.regionConcurrency ?? 4);
  const buckets = opts.buckets ?? [];
  const homeRegion = opts.homeRegion ?? opts.regions[0] ?? "us-east-1";

  // Which region each bucket lives in: its manifests can only be registered there.
  const bucketRegions = new Map<string, string>();
  for (const bucket of buckets)
    bucketRegions.set(
      bucket,
      await step("s3:GetBucketLocation", `bucket ${bucket}`, () =>
        bucketRegion(opts.clients.s3(homeRegion), bucket),
      ),
    );
  const manifestRegions = new Set(bucketRegions.values());
  const imageRegions = [...new Set([...opts.regions, ...manifestRegions])];
  const snapshotRegions = new Set(opts.regions);

  let regionsDone = 0;
  const progress = (phase: ScanProgress["phase"], extra: Partial<ScanProgress> = {}): void =>
    opts.onProgress?.({
      phase,
      regionsDone,
      regionsTotal: imageRegions.length,
      imagesScanned: result.imagesScanned,
      snapshotsScanned: result.snapshotsScanned,
      manifestsScanned: result.manifestsScanned,
      orphansFound: result.orphanedSnapshots.length + result.orphanedBundles.length,
      ...extra,
    });

  const manifestLocationsByRegion = new Map<string, Set<string>>();
  await forEachLimited(imageRegions, imageRegions.length, (region) =>
    limiter.run(async () => {
      const ec2 = opts.clients.ec2(region);
      progress("images", { region });
      const idle: Array<Omit<UnusedImage, "estimatedMonthlyUsd">> = [];
      const collect =
        opts.unusedImagesMs !== undefined && snapshotRegions.has(region)
          ? (img: Image) => {
              const c = idleImage(img, region, accountId, scanStartedAt, opts.unusedImagesMs as number);
              if (c) idle.push(c);
            }
          : undefined;
      const images = await step("ec2:DescribeImages", region, () =>
        scanImages(
          ec2,
          (n) => {
            result.imagesScanned += n;
            progress("images", { region });
          },
          collect,
        ),
      );
      if (idle.length) {
        try {
          const blocked = await blockedImages(
            ec2,
            idle.map((i) => i.imageId),
          );
          for (const i of idle) {
            if (!blocked.has(i.imageId)) {
              result.unusedImages.push({
                ...i,
                estimatedMonthlyUsd:
                  Math.round(snapshotMonthlyUsd(region, i.snapshotGiB, "standard") * 100) / 100,
              });
            }
          }
        } catch (err) {
          result.warnings.push(referencesUnavailable(region, err));
        }
      }
      if (manifestRegions.has(region)) manifestLocationsByRegion.set(region, images.manifestLocations);
      if (snapshotRegions.has(region)) {
        const binned = await recycleBinImages(ec2, region, accountId, result);
        images.binnedImages = new Set(binned.map((b) => b.id));
        if (opts.recycleBin) {
          result.recycleBin.images.push(...binned);
          result.recycleBin.snapshots.push(...(await recycleBinSnapshots(ec2, region, accountId, result)));
        }
        const before = result.orphanedSnapshots.length;
        await step("ec2:DescribeSnapshots", region, () =>
          scanSnapshots(ec2, region, accountId, images, opts, scanStartedAt, result, () =>
            progress("snapshots", { region }),
          ),
        );
        await annotate(ec2, region, result.orphanedSnapshots.slice(before), result);
      }
      regionsDone++;
      progress("snapshots", { region });
    }),
  );

  for (const bucket of buckets) {
    const region = bucketRegions.get(bucket) as string;
    progress("bundles", { bucket });
    const found = await step("s3:ListBucket and s3:GetObject", `bucket ${bucket}`, () =>
      findOrphanedBundles(
        opts.clients.s3(region),
        bucket,
        region,
        manifestLocationsByRegion.get(region) ?? new Set(),
        {
          now: scanStartedAt,
          olderThanMs: opts.olderThanMs,
          onManifest: () => {
            result.manifestsScanned++;
            if (result.manifestsScanned % 100 === 0) progress("bundles", { bucket });
          },
        },
      ),
    );
    result.orphanedBundles.push(...found.orphans);
    result.unreadableManifests.push(...found.unreadable.map((k) => `${bucket}/${k}`));
  }
  await confirmUnused(result, opts, (region) => progress("images", { region }));
  progress("done");
  result.orphanedSnapshots.sort(
    (a, b) => a.region.localeCompare(b.region) || a.snapshotId.localeCompare(b.snapshotId),
  );
  return result;
}

/**
 * Closes the race with images registered during the scan: EC2 registers an AMI (pending) before
 * CreateImage/CopyImage make its snapshots, so a second image pass after the storage passes sees
 * every image a listed snapshot or manifest could belong to. Only regions with candidates are re-read.
 */
async function confirmUnused(
  result: ScanResult,
  opts: ScanOptions,
  onRegion: (region: string) => void,
): Promise<void> {
  const regions = new Set([
    ...result.orphanedSnapshots.map((s) => s.region),
    ...result.orphanedBundles.map((b) => b.region),
  ]);
  for (const region of regions) {
    onRegion(region);
    const images = await scanImages(opts.clients.ec2(region));
    const stillOrphan = (s: ListedSnapshot): boolean =>
      s.region !== region ||
      (!images.referencedSnapshots.has(s.snapshotId) && !images.registeredImages.has(s.imageId));
    const before = result.orphanedSnapshots.length;
    result.orphanedSnapshots = result.orphanedSnapshots.filter(stillOrphan);
    if (result.orphanedSnapshots.length < before) {
      result.skipped["registered-during-scan"] =
        (result.skipped["registered-during-scan"] ?? 0) + before - result.orphanedSnapshots.length;
    }
    result.orphanedBundles = result.orphanedBundles.filter(
      (b) => b.region !== region || !images.manifestLocations.has(`${b.bucket}/${b.manifestKey}`),
    );
  }
}

async function scanSnapshots(
  ec2: EC2Client,
  region: string,
  accountId: string,
  images: RegionImages,
  opts: ScanOptions,
  scanStartedAt: Date,
  result: ScanResult,
  onPage: () => void,
): Promise<void> {
  const ctx = {
    region,
    accountId,
    binnedImages: images.binnedImages,
    referencedSnapshots: images.referencedSnapshots,
    registeredImages: images.registeredImages,
    now: scanStartedAt,
    olderThanMs: opts.olderThanMs,
    excludeTags: opts.excludeTags,
  };
  const pages = paginateDescribeSnapshots(
    { client: ec2, pageSize: PAGE },
    { OwnerIds: ["self"], MaxResults: PAGE },
  );
  for await (const page of pages as AsyncIterable<DescribeSnapshotsCommandOutput>) {
    for (const snapshot of page.Snapshots ?? []) {
      const c = classifySnapshot(snapshot, ctx);
      if (c.kind === "orphan") result.orphanedSnapshots.push({ ...c.orphan, storageTier: c.storageTier });
      else if (c.kind === "service") result.excluded.managedByService[c.service]++;
      else {
        result.skipped[c.why] = (result.skipped[c.why] ?? 0) + 1;
        if (c.why === "too-new") result.excluded.olderThan++;
        if (c.why === "excluded") result.excluded.excludeTag++;
      }
    }
    result.snapshotsScanned += page.Snapshots?.length ?? 0;
    onPage();
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure is rethrown after the others settle. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
}

/** Bounds how many tasks run at once, shared by every account's scan. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** A warning naming the call, the permission and what the audit did instead. */
function cannotCheck(
  result: ScanResult,
  region: string,
  action: string,
  err: unknown,
  instead: string,
): void {
  result.warnings.push(
    `${region}: ec2:${action} failed (${errorCode(err) || "error"}: ${errorMessage(err)}); ${instead}. Grant ec2:${action} to check.`,
  );
}

/** The account's images in the Recycle Bin in `region` (their snapshots are not orphans). */
async function recycleBinImages(
  ec2: EC2Client,
  region: string,
  accountId: string,
  result: ScanResult,
): Promise<BinnedItem[]> {
  const out: BinnedItem[] = [];
  try {
    const pages = paginateListImagesInRecycleBin({ client: ec2, pageSize: 1000 }, { MaxResults: 1000 });
    for await (const page of pages as AsyncIterable<ListImagesInRecycleBinCommandOutput>) {
      for (const img of page.Images ?? []) {
        if (img.ImageId)
          out.push({ id: img.ImageId, region, accountId, exitTime: img.RecycleBinExitTime?.toISOString() });
      }
    }
  } catch (err) {
    cannotCheck(
      result,
      region,
      "ListImagesInRecycleBin",
      err,
      "snapshots of binned AMIs may be listed as orphans",
    );
  }
  return out;
}

/** The account's snapshots in the Recycle Bin in `region` (`--recycle-bin`). */
async function recycleBinSnapshots(
  ec2: EC2Client,
  region: string,
  accountId: string,
  result: ScanResult,
): Promise<BinnedItem[]> {
  const out: BinnedItem[] = [];
  try {
    const pages = paginateListSnapshotsInRecycleBin({ client: ec2, pageSize: 1000 }, { MaxResults: 1000 });
    for await (const page of pages as AsyncIterable<ListSnapshotsInRecycleBinCommandOutput>) {
      for (const s of page.Snapshots ?? []) {
        if (s.SnapshotId)
          out.push({
            id: s.SnapshotId,
            region,
            accountId,
            exitTime: s.RecycleBinExitTime?.toISOString(),
            sizeGiB: null,
          });
      }
    }
  } catch (err) {
    cannotCheck(result, region, "ListSnapshotsInRecycleBin", err, "binned snapshots are not listed");
  }
  return out;
}

/** Adds locks (DescribeLockedSnapshots) and archive dates (DescribeSnapshotTierStatus) to `listed`. */
async function annotate(
  ec2: EC2Client,
  region: string,
  listed: ListedSnapshot[],
  result: ScanResult,
): Promise<void> {
  if (listed.length === 0) return;
  const byId = new Map(listed.map((s) => [s.snapshotId, s]));
  try {
    const ids = [...byId.keys()];
    for (let i = 0; i < ids.length; i += 1000) {
      let token: string | undefined;
      do {
        const out = await ec2.send(
          new DescribeLockedSnapshotsCommand({ SnapshotIds: ids.slice(i, i + 1000), NextToken: token }),
        );
        for (const l of out.Snapshots ?? []) {
          const s = l.SnapshotId ? byId.get(l.SnapshotId) : undefined;
          if (s && l.LockState && l.LockState !== "expired")
            s.lock = { mode: l.LockState, expiresOn: l.LockExpiresOn?.toISOString() };
        }
        token = out.NextToken;
      } while (token);
    }
  } catch (err) {
    cannotCheck(
      result,
      region,
      "DescribeLockedSnapshots",
      err,
      "locks are not shown (a locked snapshot fails its delete)",
    );
  }
  if (!listed.some((s) => s.storageTier === "archive")) return;
  try {
    const pages = paginateDescribeSnapshotTierStatus({ client: ec2, pageSize: 1000 }, { MaxResults: 1000 });
    for await (const page of pages as AsyncIterable<DescribeSnapshotTierStatusCommandOutput>) {
      for (const t of page.SnapshotTierStatuses ?? []) {
        const s = t.SnapshotId ? byId.get(t.SnapshotId) : undefined;
        const since = archivedSince(t);
        if (s && since) s.archivedAt = since;
      }
    }
  } catch (err) {
    cannotCheck(result, region, "DescribeSnapshotTierStatus", err, "the early-deletion note is not shown");
  }
}

/** A scan call that failed: which permission, where, and AWS's error (the CLI names all three). */
export class ScanCallError extends Error {
  constructor(
    readonly permission: string,
    readonly where: string,
    readonly cause: unknown,
  ) {
    super(`${permission} (${where}) failed: ${errorCode(cause) || "error"}: ${errorMessage(cause)}`);
    this.name = "ScanCallError";
  }
}

/** Runs one scan step; a failure is rethrown as a ScanCallError naming the permission and where. */
async function step<T>(permission: string, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScanCallError) throw err;
    throw new ScanCallError(permission, where, err);
  }
}
