import { createHash } from "node:crypto";
import type { SimClock } from "../clock";
import type { Tag } from "../protocol/query";
import { newId } from "./ids";

/** The account id AWS uses for Amazon-owned public images (alias "amazon"). */
export const AMAZON_ACCOUNT = "137112412989";

export interface BlockDevice {
  deviceName: string;
  snapshotId?: string;
  volumeSize?: number;
  volumeType?: string;
  deleteOnTermination?: boolean;
  encrypted?: boolean;
  iops?: number;
  throughput?: number;
  kmsKeyId?: string;
  virtualName?: string;
  noDevice?: boolean;
}

export interface ImageRecord {
  imageId: string;
  region: string;
  ownerId: string;
  ownerAlias?: string;
  name: string;
  description?: string;
  state: "pending" | "available" | "deregistered" | "failed" | "disabled";
  creationDate: number;
  availableAt: number;
  deregisteredAt?: number;
  rootDeviceType: "ebs" | "instance-store";
  rootDeviceName?: string;
  imageLocation?: string;
  architecture: string;
  virtualizationType: string;
  enaSupport?: boolean;
  bootMode?: string;
  blockDeviceMappings: BlockDevice[];
  tags: Tag[];
  isPublic: boolean;
  launchPermissions: Set<string>;
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceImageRegion?: string;
  protection: { enabled: boolean; withCooldown: boolean; disabledUntil?: number };
  clientToken?: string;
  /** EnableImageDeprecation's time (epoch ms, whole minutes); absent = not deprecated. */
  deprecationTime?: number;
  /** Last RunInstances from this image (epoch ms); DescribeImageAttribute lastLaunchedTime. */
  lastLaunchedTime?: number;
}

export interface SnapshotLock {
  mode: "governance" | "compliance";
  createdOn: number;
  expiresOn: number;
  coolOffPeriodHours?: number;
  coolOffExpiresOn?: number;
  durationDays?: number;
}

export interface SnapshotRecord {
  snapshotId: string;
  region: string;
  ownerId: string;
  volumeId: string;
  volumeSize: number;
  description: string;
  state: "pending" | "completed" | "error";
  startTime: number;
  completedAt: number;
  encrypted: boolean;
  tags: Tag[];
  lock?: SnapshotLock;
  /** `standard` (default) or `archive` (ModifySnapshotTier). */
  storageTier?: "standard" | "archive";
  /** When the last archive or restore started (epoch ms); DescribeSnapshotTierStatus LastTieringStartTime. */
  lastTieringStartTime?: number;
  /** When the last archival completed (epoch ms); default `lastTieringStartTime` (archival completes at once). */
  archivalCompleteTime?: number;
  /** DescribeSnapshotTierStatus LastTieringOperationStatus; default `archival-completed` once tiered. */
  lastTieringOperationStatus?: string;
  /** DescribeSnapshots `FullSnapshotSizeInBytes`; absent unless seeded (AWS reports it for some snapshots only). */
  fullSnapshotSizeInBytes?: number;
}

export interface VolumeRecord {
  volumeId: string;
  region: string;
  ownerId: string;
  size: number;
  snapshotId?: string;
  availabilityZone: string;
  volumeType: string;
  state: "creating" | "available" | "in-use" | "deleted";
  createTime: number;
  encrypted: boolean;
  tags: Tag[];
  attachedTo?: { instanceId: string; device: string; deleteOnTermination: boolean };
}

export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  region: string;
  ownerId: string;
  imageId: string;
  instanceType: string;
  state: "pending" | "running" | "shutting-down" | "terminated" | "stopped";
  launchTime: number;
  availabilityZone: string;
  rootDeviceName: string;
  architecture: string;
  volumes: { deviceName: string; volumeId: string }[];
  tags: Tag[];
  clientToken?: string;
}

/** One launch-template version: the launch data local-aws keeps (the image is what matters here). */
export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  description?: string;
  createTime: number;
  data: { imageId?: string; instanceType?: string; keyName?: string };
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  name: string;
  region: string;
  ownerId: string;
  createTime: number;
  defaultVersion: number;
  latestVersion: number;
  /** Highest version number ever created (numbers of deleted versions are not reused). */
  highestVersion: number;
  tags: Tag[];
  versions: LaunchTemplateVersionRecord[];
}

/** Resource types DescribeImageReferences reports (botocore `ImageReferenceResourceType`). */
export const IMAGE_REFERENCE_TYPES = [
  "ec2:Instance",
  "ec2:LaunchTemplate",
  "ssm:Parameter",
  "imagebuilder:ImageRecipe",
  "imagebuilder:ContainerRecipe",
] as const;
export type ImageReferenceType = (typeof IMAGE_REFERENCE_TYPES)[number];

/** A seeded reference of a type local-aws does not model as a resource (SSM parameter, recipe). */
export interface SeededImageReference {
  imageId: string;
  resourceType: ImageReferenceType;
  arn: string;
  accountId: string;
  region: string;
}

/** A Recycle Bin retention rule (rbin CreateRule, reduced): deleted resources matching it are retained. */
export interface RecycleBinRule {
  /** 1–365 days. */
  retentionDays: number;
  /** Tag-level rule: the resource must carry at least one of these key/value pairs. Absent = Region-level. */
  tags?: Record<string, string>;
  /** Limit the rule to one account / region (default: every account and region). */
  accountId?: string;
  region?: string;
}

export interface RecycleBinRules {
  snapshots?: RecycleBinRule | RecycleBinRule[];
  images?: RecycleBinRule | RecycleBinRule[];
}

export interface BinnedSnapshot {
  record: SnapshotRecord;
  enterTime: number;
  exitTime: number;
}

export interface BinnedImage {
  record: ImageRecord;
  enterTime: number;
  exitTime: number;
}

/** Windows fast launch for one image in one account (EnableFastLaunch). */
export interface FastLaunchRecord {
  imageId: string;
  accountId: string;
  region: string;
  state: "enabling" | "enabled" | "disabling";
  stateTransitionReason: string;
  stateTransitionTime: number;
  targetResourceCount: number;
  maxParallelLaunches: number;
  launchTemplate?: { launchTemplateId?: string; launchTemplateName?: string; version?: string };
  /** The pre-provisioned snapshots (tagged `CreatedBy: EC2 Fast Launch`). */
  snapshotIds: string[];
  /** Simulated time of the next transition (enabling -> enabled, disabling -> gone). */
  transitionAt: number;
}

/** Runtime switches (start options, changeable on `aws.state.ec2.settings`; reset() restores them). */
export interface Ec2Settings {
  /** DescribeImageReferences: "supported" (default), "unsupported" (InvalidAction), "denied" (UnauthorizedOperation). */
  imageReferences: "supported" | "unsupported" | "denied";
  /**
   * "aws-documented" (default): a protected DeregisterImage is OperationNotPermitted, a locked DeleteSnapshot
   * is SnapshotLocked. "alternate": UnauthorizedOperation (403) and InvalidParameterValue, neutral messages.
   */
  errorCodes: "aws-documented" | "alternate";
  /** Recycle Bin retention rules; none = deletion is final. */
  recycleBin: RecycleBinRules;
}

export interface Ec2Timing {
  imageAvailableAfterMs: number;
  deregisteredVisibleForMs: number;
  snapshotInUseAfterDeregisterMs: number;
  protectionCooldownMs: number;
  /** Fast launch `enabling` -> `enabled` and `disabling` -> gone. */
  fastLaunchTransitionMs: number;
}

/** Every EC2 resource of every account and region, keyed by id (ids are globally unique). */
export class Ec2Store {
  readonly images = new Map<string, ImageRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly volumes = new Map<string, VolumeRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  /** CopyImage idempotency: `account/region/token` -> image id and request fingerprint. */
  readonly clientTokens = new Map<string, { imageId: string; fingerprint: string }>();
  readonly launchTemplates = new Map<string, LaunchTemplateRecord>();
  readonly imageReferences: SeededImageReference[] = [];
  /** Windows fast launch, keyed `account/imageId`. */
  readonly fastLaunch = new Map<string, FastLaunchRecord>();
  /** Recycle Bin contents, keyed by resource id. */
  readonly binnedSnapshots = new Map<string, BinnedSnapshot>();
  readonly binnedImages = new Map<string, BinnedImage>();
  /** The runtime switches; assign fields to change behaviour mid-test. */
  settings: Ec2Settings;
  private readonly seededRegions = new Set<string>();

  constructor(
    readonly clock: SimClock,
    readonly timing: Ec2Timing,
    readonly seedBaseImages = true,
    private readonly initialSettings: Ec2Settings = {
      imageReferences: "supported",
      errorCodes: "aws-documented",
      recycleBin: {},
    },
  ) {
    this.settings = structuredClone(initialSettings);
  }

  /** The longest-retention rule among `rules` matching a resource (account, region, tags). */
  private matchRule(
    rules: RecycleBinRule | RecycleBinRule[] | undefined,
    r: { ownerId: string; region: string; tags: Tag[] },
  ): RecycleBinRule | undefined {
    const list = rules === undefined ? [] : Array.isArray(rules) ? rules : [rules];
    let best: RecycleBinRule | undefined;
    for (const rule of list) {
      if (rule.accountId !== undefined && rule.accountId !== r.ownerId) continue;
      if (rule.region !== undefined && rule.region !== r.region) continue;
      if (
        rule.tags &&
        !Object.entries(rule.tags).some(([k, v]) => r.tags.some((t) => t.key === k && t.value === v))
      )
        continue;
      if (!best || rule.retentionDays > best.retentionDays) best = rule;
    }
    return best;
  }

  /** Delete a snapshot: into the Recycle Bin when a snapshot rule matches, else for good. True if binned. */
  removeSnapshot(snap: SnapshotRecord): boolean {
    this.snapshots.delete(snap.snapshotId);
    const rule = this.matchRule(this.settings.recycleBin.snapshots, snap);
    if (!rule) return false;
    const now = this.clock.now();
    this.binnedSnapshots.set(snap.snapshotId, {
      record: snap,
      enterTime: now,
      exitTime: now + rule.retentionDays * 86400000,
    });
    return true;
  }

  /** A deregistered EBS-backed image goes to the Recycle Bin when an image rule matches. True if binned. */
  binImage(img: ImageRecord): boolean {
    if (img.rootDeviceType !== "ebs") return false;
    const rule = this.matchRule(this.settings.recycleBin.images, img);
    if (!rule) return false;
    const now = this.clock.now();
    this.images.delete(img.imageId);
    this.binnedImages.set(img.imageId, {
      record: img,
      enterTime: now,
      exitTime: now + rule.retentionDays * 86400000,
    });
    return true;
  }

  /** Snapshots created by fast launch for `fl`: `CreatedBy: EC2 Fast Launch`, owned by the enabling account. */
  private provisionFastLaunch(fl: FastLaunchRecord): void {
    const img = this.images.get(fl.imageId);
    const root = img?.blockDeviceMappings.find((b) => b.snapshotId !== undefined);
    const size = root?.volumeSize ?? 30;
    for (let n = fl.snapshotIds.length; n < fl.targetResourceCount; n++) {
      const snap = this.addSnapshot({
        region: fl.region,
        ownerId: fl.accountId,
        volumeId: "vol-ffffffff",
        volumeSize: size,
        description: `This is Fast Launch snapshot for image ${fl.imageId}`,
        encrypted: root?.encrypted ?? false,
        tags: [{ key: "CreatedBy", value: "EC2 Fast Launch" }],
      });
      snap.state = "completed";
      fl.snapshotIds.push(snap.snapshotId);
    }
  }

  /**
   * Record that `arn` (an SSM parameter or Image Builder recipe) references `imageId`, for
   * DescribeImageReferences. Account and region come from the ARN (else the image's).
   */
  seedImageReference(ref: {
    imageId: string;
    resourceType: ImageReferenceType;
    arn: string;
    accountId?: string;
    region?: string;
  }): void {
    if (!(IMAGE_REFERENCE_TYPES as readonly string[]).includes(ref.resourceType)) {
      throw new Error(
        `local-aws: seedImageReference resourceType must be one of ${IMAGE_REFERENCE_TYPES.join(", ")}, got "${ref.resourceType}".`,
      );
    }
    const parts = ref.arn.split(":");
    const img = this.images.get(ref.imageId);
    const region = ref.region ?? (parts[3] || img?.region);
    const accountId = ref.accountId ?? (parts[4] || img?.ownerId);
    if (!region || !accountId) {
      throw new Error(
        `local-aws: seedImageReference needs an ARN with region and account (arn:aws:ssm:REGION:ACCOUNT:parameter/…), got "${ref.arn}".`,
      );
    }
    this.imageReferences.push({
      imageId: ref.imageId,
      resourceType: ref.resourceType,
      arn: ref.arn,
      accountId,
      region,
    });
  }

  /** Forget every resource (base images are re-seeded on next use) and restore the start settings. */
  reset(): void {
    this.settings = structuredClone(this.initialSettings);
    this.launchTemplates.clear();
    this.imageReferences.length = 0;
    this.fastLaunch.clear();
    this.binnedSnapshots.clear();
    this.binnedImages.clear();
    this.images.clear();
    this.snapshots.clear();
    this.volumes.clear();
    this.instances.clear();
    this.clientTokens.clear();
    this.seededRegions.clear();
  }

  /** Apply every time-driven transition (pending -> available, deregistered images expiring). */
  tick(): void {
    const now = this.clock.now();
    for (const img of this.images.values()) {
      if (img.state === "pending" && now >= img.availableAt) img.state = "available";
      if (
        img.state === "deregistered" &&
        now >= (img.deregisteredAt ?? 0) + this.timing.deregisteredVisibleForMs
      ) {
        const lingering = (img.deregisteredAt ?? 0) + this.timing.snapshotInUseAfterDeregisterMs;
        if (now >= lingering) this.images.delete(img.imageId);
      }
    }
    for (const s of this.snapshots.values())
      if (s.state === "pending" && now >= s.completedAt) s.state = "completed";
    for (const v of this.volumes.values())
      if (v.state === "creating") v.state = v.attachedTo ? "in-use" : "available";
    for (const i of this.instances.values()) {
      if (i.state === "pending") i.state = "running";
      if (i.state === "shutting-down") i.state = "terminated";
    }
    for (const [key, fl] of this.fastLaunch) {
      if (now < fl.transitionAt) continue;
      if (fl.state === "enabling") {
        fl.state = "enabled";
        fl.stateTransitionReason = "Client.UserInitiated";
        fl.stateTransitionTime = fl.transitionAt;
        fl.transitionAt = Infinity;
        this.provisionFastLaunch(fl);
      } else if (fl.state === "disabling") {
        for (const id of fl.snapshotIds) {
          const snap = this.snapshots.get(id);
          if (snap) this.removeSnapshot(snap);
        }
        this.fastLaunch.delete(key);
      }
    }
    for (const [id, b] of this.binnedSnapshots) if (now >= b.exitTime) this.binnedSnapshots.delete(id);
    for (const [id, b] of this.binnedImages) if (now >= b.exitTime) this.binnedImages.delete(id);
  }

  /** The id of the public Amazon-owned base image seeded in `region` (use it for RunInstances). */
  baseImageId(region: string): string {
    return `ami-${createHash("sha256").update(`base:${region}`).digest("hex").slice(0, 17)}`;
  }

  /** Seed the region's public base image once (an Amazon-owned, public, available EBS image). */
  ensureRegion(region: string): void {
    if (!this.seedBaseImages || this.seededRegions.has(region)) return;
    this.seededRegions.add(region);
    const now = this.clock.now();
    const snapshotId = `snap-${createHash("sha256").update(`base-snap:${region}`).digest("hex").slice(0, 17)}`;
    this.snapshots.set(snapshotId, {
      snapshotId,
      region,
      ownerId: AMAZON_ACCOUNT,
      volumeId: "vol-ffffffff",
      volumeSize: 8,
      description: "Base image root volume",
      state: "completed",
      startTime: now,
      completedAt: now,
      encrypted: false,
      tags: [],
    });
    const imageId = this.baseImageId(region);
    this.images.set(imageId, {
      imageId,
      region,
      ownerId: AMAZON_ACCOUNT,
      ownerAlias: "amazon",
      name: "local-aws-base-x86_64",
      description: "Public base image seeded by local-aws",
      state: "available",
      creationDate: now,
      availableAt: now,
      rootDeviceType: "ebs",
      rootDeviceName: "/dev/xvda",
      architecture: "x86_64",
      virtualizationType: "hvm",
      enaSupport: true,
      bootMode: "uefi-preferred",
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          snapshotId,
          volumeSize: 8,
          volumeType: "gp3",
          deleteOnTermination: true,
          encrypted: false,
        },
      ],
      tags: [],
      isPublic: true,
      launchPermissions: new Set(),
      protection: { enabled: false, withCooldown: false },
    });
  }

  /** Create a snapshot record (used by CreateSnapshot, CreateImage, CopyImage and seeding). */
  addSnapshot(
    s: Omit<SnapshotRecord, "snapshotId" | "state" | "startTime" | "completedAt" | "tags"> & { tags?: Tag[] },
  ): SnapshotRecord {
    const now = this.clock.now();
    const rec: SnapshotRecord = {
      ...s,
      snapshotId: newId("snap"),
      state: "pending",
      startTime: now,
      completedAt: now + this.timing.imageAvailableAfterMs,
      tags: s.tags ?? [],
    };
    if (this.timing.imageAvailableAfterMs <= 0) rec.state = "completed";
    this.snapshots.set(rec.snapshotId, rec);
    return rec;
  }

  /** Registered (not deregistered) images in `region` whose mappings reference `snapshotId`. */
  imagesUsingSnapshot(snapshotId: string, region: string, exceptImageId?: string): ImageRecord[] {
    const now = this.clock.now();
    return [...this.images.values()].filter(
      (img) =>
        img.region === region &&
        img.imageId !== exceptImageId &&
        (img.state !== "deregistered" ||
          now < (img.deregisteredAt ?? 0) + this.timing.snapshotInUseAfterDeregisterMs) &&
        img.blockDeviceMappings.some((b) => b.snapshotId === snapshotId),
    );
  }

  /** Can `accountId` see (and launch) this image? Own, public, or shared with the account. */
  canSee(img: ImageRecord, accountId: string): boolean {
    return img.ownerId === accountId || img.isPublic || img.launchPermissions.has(accountId);
  }

  /** An image whose deprecation time has passed. */
  isDeprecated(img: ImageRecord): boolean {
    return img.deprecationTime !== undefined && img.deprecationTime <= this.clock.now();
  }

  /** The image's `deregistrationProtection` text, as DescribeImages shows it. */
  protectionText(img: ImageRecord): string {
    const p = img.protection;
    if (p.enabled) return p.withCooldown ? "enabled-with-cooldown" : "enabled-without-cooldown";
    if (p.disabledUntil !== undefined && this.clock.now() < p.disabledUntil) {
      return `disabled after ${new Date(p.disabledUntil).toISOString().replace(/\.\d{3}Z$/, "Z")}`;
    }
    return "disabled";
  }
}

/** A stable 12-digit account id derived from an access key id. */
export function deriveAccountId(accessKeyId: string): string {
  const n = BigInt(
    `0x${createHash("sha256").update(`local-aws-account:${accessKeyId}`).digest("hex").slice(0, 15)}`,
  );
  return ((n % 900000000000n) + 100000000000n).toString();
}
