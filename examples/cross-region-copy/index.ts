// An AMI in the default region and a copy of it in a second region, both managed. `pulumi destroy`
// removes the copy (and the snapshots CopyImage made) first, then the source image and its snapshots.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "pulumi-managed-ami";

const config = new pulumi.Config();
const copyRegion = config.get("copyRegion") ?? "us-west-2";
const stack = pulumi.getStack();

const al2023 = aws.ec2.getAmiOutput({
  owners: ["amazon"],
  mostRecent: true,
  filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
});
const builder = new aws.ec2.Instance("builder", { ami: al2023.id, instanceType: "t3.micro" });

const source = new ManagedAmi("source", {
  name: `managed-ami-copy-source-${stack}`,
  fromInstance: { instanceId: builder.id },
});

// The copy lives in `copyRegion`; CopyImage is idempotent (a stable ClientToken), so a retried
// `pulumi up` never makes a second copy.
const copy = new ManagedAmi("copy", {
  name: `managed-ami-copy-${stack}`,
  region: copyRegion,
  copyOf: { sourceImageId: source.imageId, sourceRegion: source.region, encrypted: true },
  tags: { CopiedFrom: source.imageId },
});

export const sourceImageId = source.imageId;
export const sourceRegion = source.region;
export const copyImageId = copy.imageId;
export const copyRegionName = copy.region;
export const copySnapshotIds = copy.snapshotIds;
