// Image family: Packer (or any pipeline) builds `web-<date>` images; the stack keeps the newest two
// enabled and one disabled rollback spare, and retires the rest — every retirement shown in
// `pulumi preview` and guarded like any ManagedAmi delete. The launch template follows the newest image.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmiFamily } from "pulumi-managed-ami";

const config = new pulumi.Config();

const web = new ManagedAmiFamily("web", {
  namePrefix: config.get("namePrefix") ?? "web-",
  keep: 2, // the newest two stay enabled
  keepDisabled: 1, // the next one stays as a disabled rollback spare
  whenInUse: "fail", // a member something still launches from is never retired
});

const template = new aws.ec2.LaunchTemplate("web", {
  imageId: web.latest,
  updateDefaultVersion: true, // $Default follows the newest image, so older members are free to retire
  instanceType: config.get("instanceType") ?? "t3.micro",
});

export const latest = web.latest;
export const enabled = web.enabled;
export const disabled = web.disabled;
export const outside = web.outside;
export const launchTemplateId = template.id;
