// Register an instance-store AMI from a bundle uploaded with ec2-upload-bundle. The ManagedAmi records
// the manifest and the part keys it lists: `pulumi destroy` deletes exactly those objects, nothing else.
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "pulumi-managed-ami";

const config = new pulumi.Config();
const stack = pulumi.getStack();

const image = new ManagedAmi("bundle", {
  name: `managed-ami-instance-store-${stack}`,
  // `bucket/path/name.manifest.xml`, as printed by ec2-upload-bundle.
  fromManifest: { imageLocation: config.require("imageLocation"), architecture: "x86_64" },
});

export const imageId = image.imageId;
export const bundle = image.bundle;
