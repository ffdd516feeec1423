// Storage ownership: every AMI's snapshots or S3 bundle must have exactly one resource that deletes them.
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  deleteBundleOf,
  deleteSnapshotsOf,
  isManagedAmi,
  registeredSnapshotIds,
  sharedSnapshots,
  sourceOf,
} from "../managedAmi";
import {
  CommonConfig,
  configOf,
  describe,
  ignoreResourcesSchema,
  isIgnored,
  read,
  TYPES,
  UNKNOWN,
} from "../props";

const SNAPSHOT_PRICE = "about $0.05 per GB-month for standard EBS snapshots";

/** Flags `aws.ec2.Ami`: its destroy deregisters the image and never deletes the storage behind it. Default: mandatory. */
export const amiStorageOwned: ResourceValidationPolicy = {
  name: "ami-storage-owned",
  description: "Disallows aws.ec2.Ami, whose destroy never deletes the AMI's snapshots or S3 bundle.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ignoreResources: ignoreResourcesSchema } },
  remediationSteps:
    "Replace aws.ec2.Ami with ManagedAmi from pulumi-managed-ami (fromSnapshots, or fromManifest for an S3 bundle); " +
    "its destroy deregisters the image and deletes exactly the storage it owns.",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.ami) return;
    if (isIgnored(configOf<CommonConfig>(args, { ignoreResources: [] }), args)) return;
    const location = read(args.props, "imageLocation");
    const instanceStore = location !== undefined && location !== null && location !== "";
    const storage = instanceStore ? "S3 bundle (manifest and parts)" : "EBS snapshots";
    const replacement = instanceStore ? "ManagedAmi with fromManifest" : "ManagedAmi with fromSnapshots";
    reportViolation(
      `${describe(args)} registers an AMI whose destroy never deletes its ${storage}: every destroy or replacement ` +
        `leaves that storage behind, billed every month (${instanceStore ? "as S3 storage" : SNAPSHOT_PRICE}) ` +
        `with no resource left to delete it. Use ${replacement} from pulumi-managed-ami, which deregisters the ` +
        `image and deletes exactly the storage it owns.`,
    );
  },
};

/** Flags `aws.ec2.AmiCopy` / `aws.ec2.AmiFromInstance`: their cleanup is best-effort. Default: advisory. */
export const amiDerivedStorageOwned: ResourceValidationPolicy = {
  name: "ami-derived-storage-owned",
  description:
    "Warns about aws.ec2.AmiCopy and aws.ec2.AmiFromInstance, whose destroy leaves snapshots behind after any failure.",
  enforcementLevel: "advisory",
  configSchema: { properties: { ignoreResources: ignoreResourcesSchema } },
  remediationSteps:
    "Replace aws.ec2.AmiCopy with ManagedAmi copyOf, and aws.ec2.AmiFromInstance with ManagedAmi fromInstance; " +
    "ManagedAmi's destroy resumes after a failure and never deletes a snapshot another image uses.",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.amiCopy && args.type !== TYPES.amiFromInstance) return;
    if (isIgnored(configOf<CommonConfig>(args, { ignoreResources: [] }), args)) return;
    const replacement =
      args.type === TYPES.amiCopy ? "ManagedAmi with copyOf" : "ManagedAmi with fromInstance";
    reportViolation(
      `${describe(args)} deletes its snapshots only when a destroy succeeds in one go: after a failed or ` +
        `interrupted teardown, or when a snapshot is shared, locked or the image has deregistration protection, ` +
        `the snapshots stay behind and keep billing (${SNAPSHOT_PRICE}). Use ${replacement} from ` +
        `pulumi-managed-ami: its destroy resumes where it stopped and never deletes storage another image uses.`,
    );
  },
};

/** Flags a ManagedAmi that opts out of deleting its own storage. Stack policy, so it can see who else owns it. Default: advisory. */
export const managedAmiDeletesStorage: StackValidationPolicy = {
  name: "managed-ami-deletes-storage",
  description:
    "Warns when a ManagedAmi sets deleteSnapshots: false or deleteBundle: false and nothing else in the stack deletes that storage.",
  enforcementLevel: "advisory",
  configSchema: { properties: { ignoreResources: ignoreResourcesSchema } },
  remediationSteps:
    "Remove deleteSnapshots: false / deleteBundle: false (both default to true and delete only the storage this " +
    "AMI owns). deleteSnapshots: false is fine when an aws.ebs.Snapshot in the same stack owns the snapshots.",
  validateStack: (args, reportViolation) => {
    const config = configOf<CommonConfig>(args, { ignoreResources: [] });
    for (const r of args.resources) {
      if (!isManagedAmi(r) || isIgnored(config, r)) continue;
      const source = sourceOf(r.props);
      if (deleteSnapshotsOf(r.props) === false && source !== "fromManifest") {
        if (!snapshotsOwnedInStack(r, args.resources)) {
          reportViolation(
            `${describe(r)} sets deleteSnapshots: false, so destroy deregisters the image and leaves its EBS ` +
              `snapshots behind, billed every month (${SNAPSHOT_PRICE}) with no resource left to delete them. ` +
              `Remove deleteSnapshots: false (the default deletes exactly the snapshots this AMI owns), or list ` +
              `the resource in this policy's ignoreResources if something outside Pulumi deletes them.`,
            r.urn,
          );
        }
      }
      if (deleteBundleOf(r.props) === false && source !== "fromSnapshots" && source !== "fromInstance") {
        reportViolation(
          `${describe(r)} sets deleteBundle: false, so destroy deregisters the image and leaves its S3 bundle ` +
            `(manifest and parts) behind, billed every month as S3 storage with no resource left to delete it. ` +
            `Remove deleteBundle: false (the default deletes exactly the manifest and parts this AMI owns), or ` +
            `list the resource in this policy's ignoreResources if something outside Pulumi deletes them.`,
          r.urn,
        );
      }
    }
  },
};

/** True when every snapshot a fromSnapshots ManagedAmi registers is managed by an aws.ebs snapshot resource in the stack. */
function snapshotsOwnedInStack(ami: PolicyResource, resources: readonly PolicyResource[]): boolean {
  const ids = registeredSnapshotIds(ami.props);
  const shared = sharedSnapshots(ami, resources);
  if (shared.length === 0) return false;
  if (ids === UNKNOWN) return true;
  const ownedIds = shared.map((s) => s.snapshotId).filter((id): id is string => typeof id === "string");
  const unmatchedOwners = shared.filter(
    (s) => s.snapshotId === UNKNOWN || !ids.includes(s.snapshotId),
  ).length;
  const unknownIds = ids.filter((id) => id === UNKNOWN).length;
  return ids.every((id) => id === UNKNOWN || ownedIds.includes(id)) && unknownIds <= unmatchedOwners;
}

/** Flags a snapshot deleted by both a ManagedAmi and an aws.ebs Snapshot/SnapshotCopy/SnapshotImport. Default: mandatory. */
export const snapshotSingleOwner: StackValidationPolicy = {
  name: "snapshot-single-owner",
  description:
    "Disallows an EBS snapshot that both an aws.ebs snapshot resource and a ManagedAmi (fromSnapshots) delete on destroy.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ignoreResources: ignoreResourcesSchema } },
  remediationSteps:
    "Give each snapshot one owner: set deleteSnapshots: false on the ManagedAmi that registers a snapshot created by " +
    "aws.ebs.Snapshot (or SnapshotCopy/SnapshotImport); the snapshot resource then deletes it after the image is " +
    "deregistered, because destroy runs in dependency order.",
  validateStack: (args, reportViolation) => {
    const config = configOf<CommonConfig>(args, { ignoreResources: [] });
    for (const r of args.resources) {
      if (!isManagedAmi(r) || isIgnored(config, r)) continue;
      if (deleteSnapshotsOf(r.props) !== true) continue;
      for (const shared of sharedSnapshots(r, args.resources)) {
        const which =
          shared.snapshotId === UNKNOWN
            ? `the snapshot ${describe(shared.owner)} creates (its id is known only after the update; matched ` +
              `through the dependency of fromSnapshots)`
            : `snapshot ${shared.snapshotId}`;
        reportViolation(
          `${describe(r)} and ${describe(shared.owner)} both delete ${which} on destroy. With two owners the ` +
            `ManagedAmi can delete the snapshot out from under the snapshot resource (a same-name replacement ` +
            `deletes it before registering the new image from it), and destroying the snapshot resource first ` +
            `fails while the image uses it, leaving storage billed (${SNAPSHOT_PRICE}). Give it one owner: set ` +
            `deleteSnapshots: false on ${describe(r)} so ${describe(shared.owner)} deletes the snapshot after the ` +
            `image is deregistered.`,
          r.urn,
        );
      }
    }
  },
};
