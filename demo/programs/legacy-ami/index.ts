// The "before" program of the demo: a web image registered with aws.ec2.Ami from a snapshot of the
// builder's root volume. Its destroy only deregisters the image, so the policy pack stops it at
// preview (ami-storage-owned, mandatory).
import * as aws from "@pulumi/aws";

const builder = new aws.ec2.Instance("builder", { ami: "ami-0123456789abcdef0", instanceType: "t3.micro" });
const root = new aws.ebs.Snapshot("root", { volumeId: builder.rootBlockDevice.volumeId });
export const imageId = new aws.ec2.Ami("web", {
  name: "web-2026-11-28",
  rootDeviceName: "/dev/xvda",
  virtualizationType: "hvm",
  ebsBlockDevices: [{ deviceName: "/dev/xvda", snapshotId: root.id }],
}).id;
