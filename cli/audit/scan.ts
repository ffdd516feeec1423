/**
 * The read-only scan: per region, one paginated pass over the account's images (what is in use),
 * then one paginated pass over its snapshots, classified page by page; with buckets, a pass over
 * their manifests. Holds only id sets and the orphans found, never a whole listing.
 */
import {
  DescribeImagesCommandOutput,
  DescribeSnapshotsCommandOutput,
  EC2Client,
  paginateDescribeImages,
  paginateDescribeSnapshots,
} from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { OrphanedSnapshot, TagFilter, classifySnapshot } from "./classify";
import { OrphanedBundle, bucketRegion, findOrphanedBundles } from "./bundles";

/** A listed snapshot plus what pricing needs (not part of the JSON shape). */
export interface ListedSnapshot extends OrphanedSnapshot {
  storageTier: string;
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
}

/** What the image pass of one region keeps: three id sets, nothing else. */
export interface RegionImages {
  referencedSnapshots: Set<string>;
  registeredImages: Set<string>;
  manifestLocations: Set<string>;
}

const PAGE = 1000;

/**
 * Every registered image the account owns in the region (pending, available, failed and
 * disabled ones included: their snapshots are still theirs), reduced to id sets page by page.
 */
export async function scanImages(ec2: EC2Client, onPage?: (count: number) => void): Promise<RegionImages> {
  const out: RegionImages = { referencedSnapshots: new Set(), registeredImages: new Set(), manifestLocations: new Set() };
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: PAGE },
    { Owners: ["self"], IncludeDisabled: true, IncludeDeprecated: true, MaxResults: PAGE },
  );
  for await (const page of pages as AsyncIterable<DescribeImagesCommandOutput>) {
    const images = page.Images ?? [];
    for (const img of images) {
      if (!img.ImageId || img.State === "deregistered") continue;
      out.registeredImages.add(img.ImageId);
      for (const bdm of img.BlockDeviceMappings ?? []) {
        if (bdm.Ebs?.SnapshotId) out.referencedSnapshots.add(bdm.Ebs.SnapshotId);
      }
      if (img.RootDeviceType === "instance-store" && img.ImageLocation) out.manifestLocations.add(img.ImageLocation);
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
  };
  const buckets = opts.buckets ?? [];
  const homeRegion = opts.homeRegion ?? opts.regions[0] ?? "us-east-1";

  // Which region each bucket lives in: its manifests can only be registered there.
  const bucketRegions = new Map<string, string>();
  for (const bucket of buckets) bucketRegions.set(bucket, await bucketRegion(opts.clients.s3(homeRegion), bucket));
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
  await forEachLimited(imageRegions, opts.regionConcurrency ?? 4, async (region) => {
    const ec2 = opts.clients.ec2(region);
    progress("images", { region });
    const images = await scanImages(ec2, (n) => {
      result.imagesScanned += n;
      progress("images", { region });
    });
    if (manifestRegions.has(region)) manifestLocationsByRegion.set(region, images.manifestLocations);
    if (snapshotRegions.has(region)) {
      await scanSnapshots(ec2, region, images, opts, scanStartedAt, result, () => progress("snapshots", { region }));
    }
    regionsDone++;
    progress("snapshots", { region });
  });

  for (const bucket of buckets) {
    const region = bucketRegions.get(bucket) as string;
    progress("bundles", { bucket });
    const found = await findOrphanedBundles(opts.clients.s3(region), bucket, region, manifestLocationsByRegion.get(region) ?? new Set(), {
      now: scanStartedAt,
      olderThanMs: opts.olderThanMs,
      onManifest: () => {
        result.manifestsScanned++;
        if (result.manifestsScanned % 100 === 0) progress("bundles", { bucket });
      },
    });
    result.orphanedBundles.push(...found.orphans);
    result.unreadableManifests.push(...found.unreadable.map((k) => `${bucket}/${k}`));
  }
  await confirmUnused(result, opts, (region) => progress("images", { region }));
  progress("done");
  result.orphanedSnapshots.sort((a, b) => a.region.localeCompare(b.region) || a.snapshotId.localeCompare(b.snapshotId));
  return result;
}

/**
 * Closes the race with images registered during the scan: EC2 registers an AMI (pending) before
 * CreateImage/CopyImage make its snapshots, so a second image pass after the storage passes sees
 * every image a listed snapshot or manifest could belong to. Only regions with candidates are re-read.
 */
async function confirmUnused(result: ScanResult, opts: ScanOptions, onRegion: (region: string) => void): Promise<void> {
  const regions = new Set([...result.orphanedSnapshots.map((s) => s.region), ...result.orphanedBundles.map((b) => b.region)]);
  for (const region of regions) {
    onRegion(region);
    const images = await scanImages(opts.clients.ec2(region));
    const stillOrphan = (s: ListedSnapshot): boolean =>
      s.region !== region || (!images.referencedSnapshots.has(s.snapshotId) && !images.registeredImages.has(s.imageId));
    const before = result.orphanedSnapshots.length;
    result.orphanedSnapshots = result.orphanedSnapshots.filter(stillOrphan);
    if (result.orphanedSnapshots.length < before) {
      result.skipped["registered-during-scan"] = (result.skipped["registered-during-scan"] ?? 0) + before - result.orphanedSnapshots.length;
    }
    result.orphanedBundles = result.orphanedBundles.filter(
      (b) => b.region !== region || !images.manifestLocations.has(`${b.bucket}/${b.manifestKey}`),
    );
  }
}

async function scanSnapshots(
  ec2: EC2Client,
  region: string,
  images: RegionImages,
  opts: ScanOptions,
  scanStartedAt: Date,
  result: ScanResult,
  onPage: () => void,
): Promise<void> {
  const ctx = {
    region,
    referencedSnapshots: images.referencedSnapshots,
    registeredImages: images.registeredImages,
    now: scanStartedAt,
    olderThanMs: opts.olderThanMs,
    excludeTags: opts.excludeTags,
  };
  const pages = paginateDescribeSnapshots({ client: ec2, pageSize: PAGE }, { OwnerIds: ["self"], MaxResults: PAGE });
  for await (const page of pages as AsyncIterable<DescribeSnapshotsCommandOutput>) {
    for (const snapshot of page.Snapshots ?? []) {
      const c = classifySnapshot(snapshot, ctx);
      if (c.kind === "orphan") result.orphanedSnapshots.push({ ...c.orphan, storageTier: c.storageTier });
      else result.skipped[c.why] = (result.skipped[c.why] ?? 0) + 1;
    }
    result.snapshotsScanned += page.Snapshots?.length ?? 0;
    onPage();
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure is rethrown after the others settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
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
