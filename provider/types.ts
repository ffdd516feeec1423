/**
 * Plain (unwrapped) shapes the provider works with: what the engine hands to `check`/`create`
 * (`ManagedAmiInputs`) and what is kept in state (`ManagedAmiOutputs`). The user-facing
 * `ManagedAmiArgs` (every field a `pulumi.Input`) lives in `managedAmi.ts`.
 * The contract, in brief, is README.md (arguments, guarantees) and docs/destroy.md (what destroy does).
 */

/** EBS volume types RegisterImage accepts. */
export type VolumeType = "standard" | "io1" | "io2" | "gp2" | "sc1" | "st1" | "gp3";
/** Image architectures. */
export type Architecture = "i386" | "x86_64" | "arm64" | "x86_64_mac" | "arm64_mac";
export type VirtualizationType = "hvm" | "paravirtual";
export type BootMode = "legacy-bios" | "uefi" | "uefi-preferred";

/** One EBS mapping of a `fromSnapshots` image. */
export interface SnapshotMapping {
  /** Device name, e.g. `/dev/xvda`. */
  deviceName: string;
  /** The snapshot to register. It becomes owned by this resource and is deleted on destroy. */
  snapshotId: string;
  /** Volume size in GiB; default: the snapshot's size. */
  volumeSize?: number;
  /** EBS volume type; default: `gp3`. */
  volumeType?: VolumeType;
  /** Delete the volume when an instance launched from the image terminates; default: true. */
  deleteOnTermination?: boolean;
}

/** RegisterImage of an EBS-backed image from existing snapshots. */
export interface FromSnapshotsSource {
  /** Root device name, e.g. `/dev/xvda`; must be one of the mappings' device names. */
  rootDeviceName: string;
  /** At least one mapping. */
  blockDeviceMappings: SnapshotMapping[];
  /** default: `x86_64`. */
  architecture?: Architecture;
  /** default: `hvm`. */
  virtualizationType?: VirtualizationType;
  /** default: true. */
  enaSupport?: boolean;
  /** `legacy-bios` | `uefi` | `uefi-preferred`; default: unset (AWS's default). */
  bootMode?: BootMode;
}

/** CreateImage from an instance. */
export interface FromInstanceSource {
  instanceId: string;
  /** Do not reboot the instance before imaging; default: false (AWS's default, a consistent image). */
  noReboot?: boolean;
}

/** CopyImage from another region (or the same one) into this resource's region. */
export interface CopyOfSource {
  sourceImageId: string;
  sourceRegion: string;
  /** Encrypt the copy's snapshots; default: false (keeps the source's encryption). */
  encrypted?: boolean;
  /** KMS key for `encrypted`; default: the account's default EBS key. */
  kmsKeyId?: string;
}

/** RegisterImage of an instance-store image from an S3 bundle manifest. */
export interface FromManifestSource {
  /** `bucket/path/name.manifest.xml`. */
  imageLocation: string;
  /** default: `x86_64`. */
  architecture?: Architecture;
}

/** Take over an existing AMI owned by the caller's account. */
export interface AdoptSource {
  imageId: string;
}

/** The owned S3 bundle of an instance-store image, read from its manifest at create/adopt time. */
export interface OwnedBundle {
  bucket: string;
  manifestKey: string;
  partKeys: string[];
}

/** Inputs, unwrapped. Exactly one of the five sources is set. */
export interface ManagedAmiInputs {
  /** AMI name; default (every source but `adopt`): `<resource name>-<7 hex>`, chosen by `check`. */
  name?: string;
  description?: string;
  /** Applied to the AMI and to every snapshot it owns. */
  tags?: Record<string, string>;
  /** default: the AWS SDK's own resolution (`AWS_REGION`, profile). */
  region?: string;
  fromSnapshots?: FromSnapshotsSource;
  fromInstance?: FromInstanceSource;
  copyOf?: CopyOfSource;
  fromManifest?: FromManifestSource;
  adopt?: AdoptSource;
  /** default: true. */
  deleteSnapshots?: boolean;
  /** default: true. */
  deleteBundle?: boolean;
  /** default: false. */
  disableDeregistrationProtection?: boolean;
  /** What delete does when something would still launch from the image; default `fail`. */
  whenInUse?: "fail" | "warn";
  /** Keep AWS deregistration protection on (no cooldown); default false. */
  deregistrationProtection?: boolean;
  /** ISO 8601 time AWS deprecates the image at; default none (removing it un-deprecates). */
  deprecationTime?: string;
  /** DisableImage (true) / EnableImage (false); default false. */
  disabled?: boolean;
}

/** State: all inputs plus what was read from AWS. `imageId` is also the resource id. */
export interface ManagedAmiOutputs extends ManagedAmiInputs {
  imageId: string;
  /** The resolved region; every later call uses it. */
  region: string;
  ownerId: string;
  /** The image state (`available`, …), or `deregistered` when the image is gone but owned storage remains. */
  state: string;
  rootDeviceType: "ebs" | "instance-store";
  /** The EBS snapshots this resource owns (recorded at create/adopt time). */
  snapshotIds: string[];
  /** The S3 bundle this resource owns (instance-store only). */
  bundle?: OwnedBundle;
  creationDate?: string;
  architecture?: string;
  /** This create's token (tag `managed-ami:create-token` on the image; CopyImage ClientToken salt). */
  createToken?: string;
  /** Snapshots in the image's mappings that the caller's account does not own: never recorded, tagged or deleted. */
  unownedSnapshotIds?: string[];
}

/** The outputs read from AWS (not inputs): what a program must not pass and an update must keep. */
export const COMPUTED_OUTPUT_KEYS = [
  "imageId",
  "ownerId",
  "state",
  "rootDeviceType",
  "snapshotIds",
  "bundle",
  "creationDate",
  "architecture",
  "createToken",
  "unownedSnapshotIds",
] as const;

/** The five mutually exclusive sources, in the order they are documented. */
export const SOURCE_KEYS = ["fromSnapshots", "fromInstance", "copyOf", "fromManifest", "adopt"] as const;
export type SourceKey = (typeof SOURCE_KEYS)[number];
