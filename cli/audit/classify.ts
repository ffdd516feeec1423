/**
 * Pure rules that decide whether one snapshot is an orphan and why. A snapshot is listed only when
 * nothing registered uses it AND it provably belonged to an AMI that is gone; anything else
 * (a user's manual snapshot, one still being created) is left out.
 */
import type { Snapshot } from "@aws-sdk/client-ec2";
import { MANAGED_AMI_IMAGE_TAG } from "./ownership";

/** Why a snapshot is listed. */
export type OrphanReason = "create-image-ami-gone" | "copy-image-ami-gone" | "managed-ami-image-gone";

/** A snapshot lock as DescribeLockedSnapshots reports it. */
export interface SnapshotLockInfo {
  mode: string;
  expiresOn?: string;
}

/** One orphaned snapshot, as printed and as written by `--json`. */
export interface OrphanedSnapshot {
  snapshotId: string;
  region: string;
  /** The account that owns it (the caller's, or the one entered with --role-name). */
  accountId: string;
  sizeGiB: number;
  /** DescribeSnapshots `FullSnapshotSizeInBytes`, when AWS reports it. */
  fullSnapshotSizeBytes?: number;
  ageDays: number;
  reason: OrphanReason;
  /** The AMI the snapshot was created for (gone now). */
  imageId: string;
}

/** A tag filter from `--exclude-tag K=V`; `value: undefined` (written `K=*`) matches any value. */
export interface TagFilter {
  key: string;
  value?: string;
}

/** The AWS services whose snapshots are never orphans (they make and retire them). */
export type ServiceKind = "aws-backup" | "dlm" | "image-builder" | "fast-launch";
export const SERVICE_KINDS: readonly ServiceKind[] = ["aws-backup", "dlm", "image-builder", "fast-launch"];

/** What the image pass of one region learned, and the filters in effect. */
export interface ClassifyContext {
  region: string;
  accountId: string;
  /** Images of the account in the Recycle Bin: their snapshots are what a restore needs. */
  binnedImages?: ReadonlySet<string>;
  /** Snapshot ids referenced by any registered (not deregistered) image of the account in this region. */
  referencedSnapshots: ReadonlySet<string>;
  /** Ids of every registered image of the account in this region. */
  registeredImages: ReadonlySet<string>;
  /** "Now" for ages (the scan's start). */
  now: Date;
  /** Only list snapshots at least this old (ms); default 0. */
  olderThanMs?: number;
  excludeTags?: readonly TagFilter[];
}

/** What became of one snapshot. `skip` carries why, for counting. */
export type Classification =
  | { kind: "orphan"; orphan: OrphanedSnapshot; storageTier: string }
  | { kind: "service"; service: ServiceKind }
  | {
      kind: "skip";
      why:
        | "referenced"
        | "not-completed"
        | "too-new"
        | "excluded"
        | "not-ami-storage"
        | "image-exists"
        | "image-in-recycle-bin";
    };

const CREATE_IMAGE = /^Created by CreateImage\((i-[0-9a-f]+)\) for (ami-[0-9a-f]+)\b/;
const COPY_IMAGE = /^Copied for DestinationAmi (ami-[0-9a-f]+)\b/;
const IMAGE_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const DAY_MS = 86_400_000;

/**
 * The AMI a snapshot was made for and how we know: the ManagedAmi ownership tag first, then the
 * description EC2 writes for CreateImage and CopyImage. `undefined` for anything else.
 */
export function amiOfSnapshot(
  snapshot: Pick<Snapshot, "Description" | "Tags">,
): { imageId: string; reason: OrphanReason } | undefined {
  const tagged = snapshot.Tags?.find((t) => t.Key === MANAGED_AMI_IMAGE_TAG)?.Value?.trim();
  if (tagged && IMAGE_ID.test(tagged)) return { imageId: tagged, reason: "managed-ami-image-gone" };
  const description = snapshot.Description ?? "";
  const created = CREATE_IMAGE.exec(description);
  if (created) return { imageId: created[2], reason: "create-image-ami-gone" };
  const copied = COPY_IMAGE.exec(description);
  if (copied) return { imageId: copied[1], reason: "copy-image-ami-gone" };
  return undefined;
}

const tagOf = (tags: Snapshot["Tags"], key: string): string | undefined =>
  tags?.find((t) => t.Key === key)?.Value;

/**
 * The AWS service that made and retires `snapshot`, from the tags and descriptions those services
 * write (sources in docs/audit.md), or `undefined`.
 */
export function serviceOf(snapshot: Pick<Snapshot, "Description" | "Tags">): ServiceKind | undefined {
  const tags = snapshot.Tags ?? [];
  const description = snapshot.Description ?? "";
  if (
    tags.some((t) => t.Key?.startsWith("aws:backup:")) ||
    /created by the AWS Backup service/i.test(description)
  )
    return "aws-backup";
  if (
    tags.some((t) => t.Key?.startsWith("aws:dlm:")) ||
    /^Created for policy: policy-[0-9a-f]+/.test(description)
  )
    return "dlm";
  if (
    tagOf(tags, "CreatedBy") === "EC2 Fast Launch" ||
    /^This is Fast Launch snapshot for image /.test(description)
  )
    return "fast-launch";
  if (tagOf(tags, "CreatedBy") === "EC2 Image Builder" || tags.some((t) => t.Key === "Ec2ImageBuilderArn"))
    return "image-builder";
  return undefined;
}

/** Whether any `--exclude-tag` filter matches the snapshot's tags. */
export function isExcluded(tags: Snapshot["Tags"], filters: readonly TagFilter[] | undefined): boolean {
  if (!filters || filters.length === 0 || !tags) return false;
  return filters.some((f) =>
    tags.some((t) => t.Key === f.key && (f.value === undefined || t.Value === f.value)),
  );
}

/** Decides whether `snapshot` is an orphan in `ctx`. Never lists a referenced or unattributable snapshot. */
export function classifySnapshot(snapshot: Snapshot, ctx: ClassifyContext): Classification {
  const id = snapshot.SnapshotId ?? "";
  if (id === "" || ctx.referencedSnapshots.has(id)) return { kind: "skip", why: "referenced" };
  if (snapshot.State !== "completed") return { kind: "skip", why: "not-completed" };
  const service = serviceOf(snapshot);
  if (service) return { kind: "service", service };
  const ami = amiOfSnapshot(snapshot);
  if (!ami) return { kind: "skip", why: "not-ami-storage" };
  if (ctx.registeredImages.has(ami.imageId)) return { kind: "skip", why: "image-exists" };
  // Defect 8: a binned AMI can be restored, and the restore needs these snapshots.
  if (ctx.binnedImages?.has(ami.imageId)) return { kind: "skip", why: "image-in-recycle-bin" };
  const started = snapshot.StartTime?.getTime() ?? ctx.now.getTime();
  const ageMs = Math.max(0, ctx.now.getTime() - started);
  if (ageMs < (ctx.olderThanMs ?? 0)) return { kind: "skip", why: "too-new" };
  if (isExcluded(snapshot.Tags, ctx.excludeTags)) return { kind: "skip", why: "excluded" };
  return {
    kind: "orphan",
    storageTier: snapshot.StorageTier ?? "standard",
    orphan: {
      snapshotId: id,
      region: ctx.region,
      accountId: ctx.accountId,
      sizeGiB: snapshot.VolumeSize ?? 0,
      ...(snapshot.FullSnapshotSizeInBytes !== undefined
        ? { fullSnapshotSizeBytes: snapshot.FullSnapshotSizeInBytes }
        : {}),
      ageDays: Math.floor(ageMs / DAY_MS),
      reason: ami.reason,
      imageId: ami.imageId,
    },
  };
}

/** A one-line human explanation of a reason. */
export function describeReason(reason: OrphanReason, imageId: string): string {
  switch (reason) {
    case "create-image-ami-gone":
      return `CreateImage for ${imageId} (gone)`;
    case "copy-image-ami-gone":
      return `CopyImage to ${imageId} (gone)`;
    case "managed-ami-image-gone":
      return `ManagedAmi ${imageId} (gone)`;
  }
}
