// Who can use an AMI: no public launch permissions, encrypted copies.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isManagedAmi, sourceOf } from "../managedAmi";
import {
  CommonConfig,
  configOf,
  describe,
  ignoreResourcesSchema,
  isIgnored,
  read,
  readBoolean,
  readString,
  TYPES,
  UNKNOWN,
} from "../props";

/** Flags an `aws.ec2.AmiLaunchPermission` with `group: "all"` (a public AMI). Default: mandatory. */
export const noPublicAmis: ResourceValidationPolicy = {
  name: "no-public-amis",
  description: 'Disallows AMI launch permissions for the group "all", which make an AMI public.',
  enforcementLevel: "mandatory",
  configSchema: { properties: { ignoreResources: ignoreResourcesSchema } },
  remediationSteps:
    "Share the AMI with specific accounts (accountId), an organization (organizationArn) or an organizational unit " +
    '(organizationalUnitArn) instead of group "all".',
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.amiLaunchPermission) return;
    if (isIgnored(configOf<CommonConfig>(args, { ignoreResources: [] }), args)) return;
    if (readString(args.props, "group") !== "all") return;
    const imageId = readString(args.props, "imageId");
    const image = typeof imageId === "string" ? `image ${imageId}` : "its image";
    reportViolation(
      `${describe(args)} grants launch permission on ${image} to group "all", which makes the AMI public: any AWS ` +
        `account can launch it and copy the data in its snapshots, and instances others run from it tie your ` +
        `image to workloads you do not control. Share it with specific accounts (accountId), an organization ` +
        `(organizationArn) or an organizational unit (organizationalUnitArn) instead.`,
    );
  },
};

interface CopyEncryptedConfig extends CommonConfig {
  kmsKeyIds: string[];
}

/** Flags AMI copies that are not encrypted (optionally: not with an allowed KMS key). Default: advisory. */
export const amiCopyEncrypted: ResourceValidationPolicy = {
  name: "ami-copy-encrypted",
  description: "Warns when an aws.ec2.AmiCopy or a ManagedAmi copyOf does not encrypt the copy's snapshots.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      kmsKeyIds: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "KMS key ids or ARNs a copy must use; empty (the default) accepts any key, including the AWS managed one.",
      },
      ignoreResources: ignoreResourcesSchema,
    },
  },
  remediationSteps:
    "Set encrypted: true on the copy (aws.ec2.AmiCopy, or copyOf of a ManagedAmi), and kmsKeyId when a customer " +
    "managed key is required.",
  validateResource: (args, reportViolation) => {
    let base: unknown;
    let where: string;
    if (args.type === TYPES.amiCopy) {
      base = args.props;
      where = "";
    } else if (isManagedAmi(args) && sourceOf(args.props) === "copyOf") {
      base = read(args.props, "copyOf");
      where = "copyOf.";
      if (base === UNKNOWN) return;
    } else {
      return;
    }
    const config = configOf<CopyEncryptedConfig>(args, { kmsKeyIds: [], ignoreResources: [] });
    if (isIgnored(config, args)) return;
    const encrypted = readBoolean(base, "encrypted");
    if (encrypted === UNKNOWN) return;
    if (encrypted !== true) {
      reportViolation(
        `${describe(args)} copies an AMI without ${where}encrypted: true, so the copy's snapshots are stored ` +
          `unencrypted unless the source is already encrypted or the account encrypts EBS by default; an ` +
          `unencrypted copy cannot be encrypted in place and has to be copied again. Set ${where}encrypted: true ` +
          `(and ${where}kmsKeyId for a customer managed key).`,
      );
      return;
    }
    const allowed = Array.isArray(config.kmsKeyIds) ? config.kmsKeyIds : [];
    if (allowed.length === 0) return;
    const key = readString(base, "kmsKeyId");
    if (key === UNKNOWN) return;
    if (key === undefined || !allowed.includes(key)) {
      reportViolation(
        `${describe(args)} encrypts its copy with ${key === undefined ? "the AWS managed EBS key" : `KMS key ${key}`}, ` +
          `which is not one of the keys this policy allows (${allowed.join(", ")}); images under other keys cannot ` +
          `be shared or restored as your key policy expects. Set ${where}kmsKeyId to one of them.`,
      );
    }
  },
};
