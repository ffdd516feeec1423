// Quick start: image an instance with ManagedAmi and launch from the image. `pulumi destroy`
// deregisters the AMI AND deletes the EBS snapshots CreateImage made for it (aws.ec2.Ami leaves them).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "pulumi-managed-ami";

const config = new pulumi.Config();
const stack = pulumi.getStack();

// The instance to image: the latest Amazon Linux 2023 in the provider's region.
const al2023 = aws.ec2.getAmiOutput({
  owners: ["amazon"],
  mostRecent: true,
  filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
});
const builder = new aws.ec2.Instance("builder", {
  ami: al2023.id,
  instanceType: config.get("instanceType") ?? "t3.micro",
  tags: { Name: `managed-ami-quickstart-${stack}` },
});

// The AMI and its snapshots, owned together. No `name`: it is auto-named `web-<7 hex>`, so a
// replacement creates the new image before deleting the old one. Destroy refuses (whenInUse: "fail",
// the default) while a launch template outside this stack still launches from it.
const image = new ManagedAmi("web", {
  description: "Web server image (pulumi-managed-ami quick start)",
  fromInstance: { instanceId: builder.id },
  tags: { Project: "managed-ami-quickstart", Stack: stack },
});

// Something that uses the image.
const template = new aws.ec2.LaunchTemplate("web", {
  imageId: image.imageId,
  instanceType: config.get("instanceType") ?? "t3.micro",
});

export const instanceId = builder.id;
export const imageId = image.imageId;
export const imageName = image.name;
export const snapshotIds = image.snapshotIds;
export const launchTemplateId = template.id;
