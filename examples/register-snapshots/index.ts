// Register an EBS-backed AMI from a snapshot of an existing volume. The ManagedAmi owns the snapshot:
// `pulumi destroy` deregisters the image and deletes the snapshot (unless another AMI still uses it).
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
  fromSnapshots: pulumi.output({
    rootDeviceName: "/dev/xvda",
    blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: root.id, volumeType: "gp3" }],
    architecture: "x86_64",
    bootMode: "uefi-preferred",
  }),
});

export const snapshotId = root.id;
export const imageId = image.imageId;
export const ownedSnapshotIds = image.snapshotIds;
