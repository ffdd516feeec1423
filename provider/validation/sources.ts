/**
 * The five sources, one validator each: known keys only, ids well formed, values AWS accepts.
 * Unknown values (preview) pass at any depth.
 */
import type { SourceKey } from "../types";
import { child, Failures, item, show, typeName } from "./failures";
import {
  objectWithKeys,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  requireId,
  requireToken,
} from "./fields";
import { imageLocationProblem } from "./manifest";
import { regionProblem } from "./regions";
import { isAbsent, isUnknown } from "./unknown";

/** Values AWS accepts (EC2 API `ArchitectureValues`, `VirtualizationType`, `BootModeValues`, `VolumeType`). */
export const ARCHITECTURES = ["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"] as const;
export const VIRTUALIZATION_TYPES = ["hvm", "paravirtual"] as const;
export const BOOT_MODES = ["legacy-bios", "uefi", "uefi-preferred"] as const;
export const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"] as const;
/** EBS volume size bounds in GiB (the largest any volume type allows). */
export const VOLUME_SIZE = { min: 1, max: 65536 } as const;

/** The properties each source takes. */
export const SOURCE_PROPERTIES: Record<SourceKey, readonly string[]> = {
  fromSnapshots: [
    "rootDeviceName",
    "blockDeviceMappings",
    "architecture",
    "virtualizationType",
    "enaSupport",
    "bootMode",
  ],
  fromInstance: ["instanceId", "noReboot"],
  copyOf: ["sourceImageId", "sourceRegion", "encrypted", "kmsKeyId"],
  fromManifest: ["imageLocation", "architecture"],
  adopt: ["imageId"],
};
const MAPPING_PROPERTIES = [
  "deviceName",
  "snapshotId",
  "volumeSize",
  "volumeType",
  "deleteOnTermination",
] as const;

const WHAT: Record<SourceKey, string> = {
  fromSnapshots: "the snapshots to register",
  fromInstance: "the instance to image",
  copyOf: "the image to copy",
  fromManifest: "the S3 bundle to register",
  adopt: "the existing AMI to take over",
};

/** Adds a failure for every problem of source `kind` with value `v`. */
export function checkSource(kind: SourceKey, v: unknown, failures: Failures): void {
  const obj = objectWithKeys(v, kind, SOURCE_PROPERTIES[kind], failures, WHAT[kind]);
  if (!obj) return;
  switch (kind) {
    case "fromSnapshots":
      return checkFromSnapshots(obj, failures);
    case "fromInstance":
      requireId(obj, "instanceId", "instance", kind, failures);
      return optionalBoolean(obj, "noReboot", kind, failures);
    case "copyOf":
      return checkCopyOf(obj, failures);
    case "fromManifest":
      requireValue(
        obj,
        "imageLocation",
        kind,
        failures,
        imageLocationProblem,
        "bucket/path/name.manifest.xml",
      );
      return optionalEnum(obj, "architecture", ARCHITECTURES, kind, failures);
    case "adopt":
      return requireId(obj, "imageId", "image", kind, failures);
  }
}

/** A required field checked by `problem`; absent fails with `example`, unknown passes. */
function requireValue(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  failures: Failures,
  problem: (v: unknown) => string | undefined,
  example: string,
): void {
  const v = obj[key];
  if (isUnknown(v)) return;
  const reason = isAbsent(v) ? `is required: set it, e.g. ${show(example)}.` : problem(v);
  if (reason) failures.add(child(path, key), reason);
}

function checkFromSnapshots(obj: Record<string, unknown>, failures: Failures): void {
  const path = "fromSnapshots";
  requireToken(obj, "rootDeviceName", "/dev/xvda", path, failures);
  optionalEnum(obj, "architecture", ARCHITECTURES, path, failures);
  optionalEnum(obj, "virtualizationType", VIRTUALIZATION_TYPES, path, failures);
  optionalBoolean(obj, "enaSupport", path, failures);
  optionalEnum(obj, "bootMode", BOOT_MODES, path, failures);

  const mappingsPath = child(path, "blockDeviceMappings");
  const mappings = obj.blockDeviceMappings;
  if (isUnknown(mappings)) return;
  if (isAbsent(mappings) || (Array.isArray(mappings) && mappings.length === 0)) {
    failures.add(
      mappingsPath,
      `needs at least one mapping: add { deviceName: "/dev/xvda", snapshotId: "snap-..." } for the root volume (and one per extra volume).`,
    );
    return;
  }
  if (!Array.isArray(mappings)) {
    failures.add(
      mappingsPath,
      `must be a list of { deviceName, snapshotId } mappings, got ${typeName(mappings)} ${show(mappings)}.`,
    );
    return;
  }
  const seen = new Map<string, number>();
  let allNamesKnown = true;
  mappings.forEach((m, i) => {
    const at = item(mappingsPath, i);
    const mapping = objectWithKeys(m, at, MAPPING_PROPERTIES, failures, "a device name and a snapshot id");
    if (!mapping) {
      allNamesKnown = false;
      return;
    }
    requireToken(mapping, "deviceName", i === 0 ? "/dev/xvda" : "/dev/xvdb", at, failures);
    requireId(mapping, "snapshotId", "snapshot", at, failures);
    optionalInteger(mapping, "volumeSize", VOLUME_SIZE.min, VOLUME_SIZE.max, "GiB", at, failures);
    optionalEnum(mapping, "volumeType", VOLUME_TYPES, at, failures);
    optionalBoolean(mapping, "deleteOnTermination", at, failures);
    const name = mapping.deviceName;
    if (typeof name !== "string" || isUnknown(name)) {
      allNamesKnown = false;
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      failures.add(
        child(at, "deviceName"),
        `${show(name)} is already mapped by ${item(mappingsPath, first)}; each device can be mapped once: give this volume another device name or remove one mapping.`,
      );
    } else seen.set(name, i);
  });
  const root = obj.rootDeviceName;
  if (typeof root === "string" && !isUnknown(root) && allNamesKnown && seen.size > 0 && !seen.has(root)) {
    failures.add(
      child(path, "rootDeviceName"),
      `${show(root)} is not the deviceName of any mapping (${[...seen.keys()].join(", ")}); set it to the root volume's device name, or add a mapping for ${show(root)}.`,
    );
  }
}

const KMS_KEY =
  /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})|alias\/[A-Za-z0-9/_-]{1,250}))$/;

function checkCopyOf(obj: Record<string, unknown>, failures: Failures): void {
  const path = "copyOf";
  requireId(obj, "sourceImageId", "image", path, failures);
  requireValue(obj, "sourceRegion", path, failures, regionProblem, "us-east-1");
  optionalBoolean(obj, "encrypted", path, failures);
  const key = obj.kmsKeyId;
  if (isAbsent(key) || isUnknown(key)) return;
  if (typeof key !== "string" || !KMS_KEY.test(key)) {
    failures.add(
      child(path, "kmsKeyId"),
      `${show(key)} is not a KMS key: use a key id (1234abcd-12ab-34cd-56ef-1234567890ab), an alias (alias/my-key) or a key or alias ARN. CopyImage checks it only after the copy starts, so it is checked here.`,
    );
  }
  if (obj.encrypted !== true && !isUnknown(obj.encrypted)) {
    failures.add(
      child(path, "kmsKeyId"),
      `is set but copyOf.encrypted is not true; a KMS key only applies to an encrypted copy: set encrypted: true, or remove kmsKeyId.`,
    );
  }
}
