// Governance of AMIs: required tags, and protection of images in production stacks.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { disableProtectionOf, isManagedAmi } from "../managedAmi";
import {
  AMI_TYPES,
  CommonConfig,
  configOf,
  describe,
  ignoreResourcesSchema,
  isIgnored,
  readKeys,
  stackOf,
  TYPES,
  UNKNOWN,
} from "../props";

interface RequiredTagsConfig extends CommonConfig {
  requiredTags: string[];
}

/** Requires the configured tag keys on every AMI (aws.ec2.Ami/AmiCopy/AmiFromInstance and ManagedAmi). Default: advisory, no keys. */
export const amiRequiredTags: ResourceValidationPolicy = {
  name: "ami-required-tags",
  description: "Requires the configured tag keys on every AMI resource (none by default).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      requiredTags: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          'Tag keys every AMI must carry, e.g. ["owner", "cost-center"]. Empty (the default) checks nothing.',
      },
      ignoreResources: ignoreResourcesSchema,
    },
  },
  remediationSteps:
    "Add the missing keys to the AMI's tags (ManagedAmi also applies its tags to the snapshots it owns; for " +
    "@pulumi/aws resources the AWS provider's defaultTags count too).",
  validateResource: (args, reportViolation) => {
    if (!AMI_TYPES.includes(args.type)) return;
    const config = configOf<RequiredTagsConfig>(args, { requiredTags: [], ignoreResources: [] });
    const required = Array.isArray(config.requiredTags) ? config.requiredTags : [];
    if (required.length === 0 || isIgnored(config, args)) return;

    const sources = [readKeys(args.props, "tags")];
    if (!isManagedAmi(args)) {
      // @pulumi/aws resources also get the provider's default tags (a ManagedAmi does not use the AWS provider).
      sources.push(readKeys(args.props, "tagsAll"));
      if (args.provider) sources.push(readKeys(args.provider.props, "defaultTags", "tags"));
    }
    const present = new Set<string>();
    let unknown = false;
    for (const keys of sources) {
      if (keys === UNKNOWN) unknown = true;
      if (Array.isArray(keys)) for (const k of keys) present.add(k);
    }
    const missing = required.filter((k) => !present.has(k));
    if (missing.length === 0 || unknown) return;
    const snapshots = isManagedAmi(args) ? " (ManagedAmi copies them to the snapshots it owns)" : "";
    reportViolation(
      `${describe(args)} is missing required tags: ${missing.join(", ")}. Without them the AMI and its snapshots ` +
        `cannot be attributed to an owner or cost center, so they outlive their purpose and keep billing every ` +
        `month. Add ${missing.join(", ")} to its tags${snapshots}.`,
    );
  },
};

interface ProtectionConfig extends CommonConfig {
  productionStackPattern: string;
}

const DEFAULT_PRODUCTION_PATTERN = "^(prod|production)([-_.].*)?$";

/**
 * In production stacks, AMIs keep protection on: the Pulumi `protect` option set, and no ManagedAmi
 * `disableDeregistrationProtection: true`. Default: disabled (turn it on as advisory or mandatory).
 */
export const amiDeregistrationProtection: ResourceValidationPolicy = {
  name: "ami-deregistration-protection",
  description:
    "In production stacks, requires protect: true on AMI resources and forbids ManagedAmi disableDeregistrationProtection.",
  enforcementLevel: "disabled",
  configSchema: {
    properties: {
      productionStackPattern: {
        type: "string",
        default: DEFAULT_PRODUCTION_PATTERN,
        description: "Case-insensitive regular expression; stacks whose name matches are production stacks.",
      },
      ignoreResources: ignoreResourcesSchema,
    },
  },
  remediationSteps:
    "Set the protect resource option on AMI resources in production stacks, and remove " +
    "disableDeregistrationProtection: true from ManagedAmi; when retiring an image, lift protection deliberately.",
  validateResource: (args, reportViolation) => {
    if (!AMI_TYPES.includes(args.type)) return;
    const config = configOf<ProtectionConfig>(args, {
      productionStackPattern: DEFAULT_PRODUCTION_PATTERN,
      ignoreResources: [],
    });
    if (isIgnored(config, args)) return;
    const stack = stackOf(args.urn);
    if (stack === undefined || !new RegExp(config.productionStackPattern, "i").test(stack)) return;

    if (!args.opts.protect) {
      reportViolation(
        `${describe(args)} in production stack "${stack}" is not protected: a single pulumi destroy or an ` +
          `unintended replacement deregisters an image that instances, launch templates and Auto Scaling groups ` +
          `may still launch from, and rebuilding it costs a full bake. Set the resource option protect: true.`,
      );
    }
    if (args.type === TYPES.managedAmi && disableProtectionOf(args.props) === true) {
      reportViolation(
        `${describe(args)} in production stack "${stack}" sets disableDeregistrationProtection: true, so destroy ` +
          `silently turns off the image's AWS deregistration protection instead of stopping. Remove it; when the ` +
          `image is really retired, disable protection deliberately (aws ec2 disable-image-deregistration-protection).`,
      );
    }
  },
};
