/**
 * Launch templates, read only: which of a template's current versions (`$Default`, `$Latest`)
 * launch a given image. Older versions are history and never count as use.
 */
import { DescribeLaunchTemplateVersionsCommand } from "@aws-sdk/client-ec2";
import { isLaunchTemplateNotFound } from "./errors";
import type { Ec2 } from "./images";

/** A current version of a launch template that launches the image. */
export interface LaunchTemplateUse {
  launchTemplateId: string;
  launchTemplateName?: string;
  versionNumber?: number;
  /** `$Default`, `$Latest` or both. */
  aliases: string[];
}

/** The launch template id from its ARN (`arn:aws:ec2:<region>:<acct>:launch-template/lt-…`), or undefined. */
export function launchTemplateIdFromArn(arn: string | undefined): string | undefined {
  const match = /launch-template\/(lt-[0-9a-zA-Z]+)/.exec(arn ?? "");
  return match ? match[1] : undefined;
}

/**
 * The `$Default` / `$Latest` versions of `launchTemplateId` whose ImageId is `imageId` (one entry per
 * version, naming which alias it is). A template deleted meanwhile uses nothing: [].
 */
export async function currentVersionsUsing(
  ec2: Ec2,
  launchTemplateId: string,
  imageId: string,
): Promise<LaunchTemplateUse[]> {
  const uses = new Map<number | string, LaunchTemplateUse>();
  for (const alias of ["$Default", "$Latest"]) {
    let versions;
    try {
      versions = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: [alias] }),
      );
    } catch (err) {
      if (isLaunchTemplateNotFound(err)) return [];
      throw err;
    }
    for (const v of versions.LaunchTemplateVersions ?? []) {
      if (v.LaunchTemplateData?.ImageId !== imageId) continue;
      const key = v.VersionNumber ?? alias;
      const use = uses.get(key) ?? {
        launchTemplateId,
        launchTemplateName: v.LaunchTemplateName,
        versionNumber: v.VersionNumber,
        aliases: [],
      };
      use.aliases.push(alias);
      uses.set(key, use);
    }
  }
  return [...uses.values()];
}
