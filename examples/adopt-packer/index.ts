// Adopt an AMI built outside Pulumi (e.g. by Packer). Adoption changes nothing in AWS; from then on
// `pulumi destroy` deregisters the image and deletes the snapshots it recorded, like any ManagedAmi.
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "pulumi-managed-ami";

const config = new pulumi.Config();

// Only AMIs owned by your account can be adopted; a foreign or missing id fails and changes nothing.
const image = new ManagedAmi("packer-build", {
  adopt: { imageId: config.require("imageId") },
  tags: { ManagedBy: "pulumi" },
});

export const imageId = image.imageId;
export const name = image.name;
export const snapshotIds = image.snapshotIds;
