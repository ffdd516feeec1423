// Register an EBS-backed AMI from a snapshot that an `aws.ebs.Snapshot` resource in the same stack
// already owns. Exactly one resource may delete a snapshot, so the ManagedAmi is told not to
// (`deleteSnapshots: false`): `pulumi destroy` deregisters the image first (it depends on the
// snapshot), then the `aws.ebs.Snapshot` deletes the snapshot. Nothing is orphaned, nothing is
// deleted twice. (To let the ManagedAmi own it instead, create the snapshot outside Pulumi.)
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "pulumi-managed-ami";

const config = new pulumi.Config();
const stack = pulumi.getStack();

const root = new aws.ebs.Snapshot("root", {
  volumeId: config.require("volumeId"),
  description: `root volume of managed-ami-register-snapshots-${stack}`,
});

const image = new ManagedAmi("registered", {
  name: `managed-ami-registered-${stack}`,
  // The `root` Snapshot resource owns (and deletes) the snapshot; see policy `snapshot-single-owner`.
  deleteSnapshots: false,
  fromSnapshots: {
    rootDeviceName: "/dev/xvda",
    blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: root.id, volumeType: "gp3" }],
    architecture: "x86_64",
    bootMode: "uefi-preferred",
  },
});

export const snapshotId = root.id;
export const imageId = image.imageId;
export const ownedSnapshotIds = image.snapshotIds;
