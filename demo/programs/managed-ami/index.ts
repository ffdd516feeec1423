// The "after" program of the demo: the same web image as a ManagedAmi, which owns the snapshot
// CreateImage makes for it and deletes it on destroy. The policy pack lets it through.
import * as aws from "@pulumi/aws";
import { ManagedAmi } from "pulumi-managed-ami";

const builder = new aws.ec2.Instance("builder", { ami: "ami-0123456789abcdef0", instanceType: "t3.micro" });
export const imageId = new ManagedAmi("web", {
  name: "web-2026-11-28",
  fromInstance: { instanceId: builder.id },
}).imageId;
