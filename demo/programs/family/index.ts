// The demo's stack. A pipeline builds `web-<n>` images; the family keeps the newest 2 enabled and 1
// disabled rollback spare, and retires the rest through ManagedAmi's delete (storage deleted, in-use
// guard on). The launch template always launches the latest build. `base` registers a snapshot that
// another team's image also uses: its destroy must leave that snapshot in place.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi, ManagedAmiFamily } from "pulumi-managed-ami";

const config = new pulumi.Config();

const web = new ManagedAmiFamily("web", { namePrefix: "web-", keep: 2, keepDisabled: 1, whenInUse: "fail" });

const template = new aws.ec2.LaunchTemplate("web", {
  name: "web",
  imageId: web.latest,
  instanceType: "t3.micro",
});

const base = new ManagedAmi("base", {
  fromSnapshots: {
    rootDeviceName: "/dev/xvda",
    blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: config.require("sharedSnapshotId") }],
  },
});

export const latest = web.latest;
export const enabled = web.enabled;
export const disabled = web.disabled;
export const outside = web.outside;
export const launchTemplateId = template.id;
export const baseImageId = base.imageId;
