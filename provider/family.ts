/**
 * `ManagedAmiFamily`: retention of a family of builds, declared in code. At program time it lists
 * the family's own images, keeps the newest `keep` enabled and the next `keepDisabled` as disabled
 * spares (each a child `ManagedAmi` adopting the image), and declares nothing for older images: those
 * that were members are retired by the engine through ManagedAmi's delete (in-use guard included),
 * the rest were never members and are never touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { ec2Client } from "./aws/clients";
import { DiscoveryError, discoverImages } from "./aws/discovery";
import { resolveRegion } from "./aws/region";
import { FamilySettings, ManagedAmiFamilyArgs, validateFamilyArgs } from "./family/args";
import { FamilyWindow, familyWindow } from "./family/window";
import { ManagedAmi, ManagedAmiArgs } from "./managedAmi";

export { FamilyArgsError, type ManagedAmiFamilyArgs } from "./family/args";
export {
  familyWindow,
  compareNewestFirst,
  type FamilyImage,
  type FamilyWindow,
  type WindowOptions,
} from "./family/window";

/** What the family decided when the program ran (also the component's data). */
export interface FamilyPlan {
  region: string;
  window: FamilyWindow;
  /** The child resources, keyed by image id (enabled first, then disabled, newest first). */
  members: Map<string, ManagedAmi>;
}

/** Lists the family's images and computes its window; fails naming the pins that are not family images. */
export async function planFamily(
  family: string,
  settings: FamilySettings,
  now: number = Date.now(),
): Promise<{ region: string; window: FamilyWindow }> {
  const region = await resolveRegion(settings.region);
  const ec2 = ec2Client(region);
  let images;
  try {
    images = await discoverImages(ec2, { namePrefix: settings.namePrefix, tags: settings.tags });
  } catch (err) {
    throw new DiscoveryError(family, region, err);
  } finally {
    ec2.destroy();
  }
  const window = familyWindow(images, { ...settings, now });
  if (window.missingPins.length > 0) {
    throw new Error(
      `ManagedAmiFamily "${family}": pinned image(s) ${window.missingPins.join(", ")} are not available or disabled images of the family ` +
        `in ${region} (${describeSelector(settings)}). Remove them from pin, or give them the family's name prefix/tags.`,
    );
  }
  if (!window.latest) {
    throw new Error(
      `ManagedAmiFamily "${family}": no available or disabled image matches ${describeSelector(settings)} in ${region}` +
        `${window.ignored.length ? ` (${window.ignored.length} still pending or failed)` : ""}, so there is no latest image. ` +
        `Build or register the first image of the family, or correct namePrefix/tags/region.`,
    );
  }
  return { region, window };
}

function describeSelector(s: FamilySettings): string {
  const parts = ["own images"];
  if (s.namePrefix !== undefined) parts.push(`named "${s.namePrefix}*"`);
  if (s.tags)
    parts.push(
      `tagged ${Object.entries(s.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`,
    );
  return parts.join(" ");
}

/**
 * A family of images with retention as code; component type `managed-ami:index:ManagedAmiFamily`.
 * Members are child `ManagedAmi`s named `<family>-<image id>`; destroying the stack deletes every member.
 */
export class ManagedAmiFamily extends pulumi.ComponentResource<FamilyPlan> {
  /** The newest image id (always enabled): point launch templates here. */
  public readonly latest: pulumi.Output<string>;
  /** Enabled member ids, newest first (the newest `keep`, plus pins). */
  public readonly enabled: pulumi.Output<string[]>;
  /** Disabled spare ids, newest first. */
  public readonly disabled: pulumi.Output<string[]>;
  /** Family images older than the window when the program ran: members among them are retired by this update; the rest are left alone. */
  public readonly outside: pulumi.Output<string[]>;
  /** The resolved region of the family. */
  public readonly region: pulumi.Output<string>;

  constructor(name: string, args: ManagedAmiFamilyArgs, opts?: pulumi.ComponentResourceOptions) {
    const settings = validateFamilyArgs(name, args);
    super("managed-ami:index:ManagedAmiFamily", name, { settings }, opts);
    // Plain promises, not pulumi.output(plan): output() would deep-copy the members map.
    const plan = this.getData();
    this.latest = pulumi.output(plan.then((p) => p.members.get(p.window.latest as string)!.imageId));
    this.enabled = pulumi.output(plan.then((p) => p.window.enabled));
    this.disabled = pulumi.output(plan.then((p) => p.window.disabled));
    this.outside = pulumi.output(plan.then((p) => p.window.outside));
    this.region = pulumi.output(plan.then((p) => p.region));
    this.registerOutputs({
      latest: this.latest,
      enabled: this.enabled,
      disabled: this.disabled,
      outside: this.outside,
      region: this.region,
    });
  }

  /** Runs once, at construction: discovery, the window, then one child per kept image. */
  protected async initialize(
    props: pulumi.Inputs,
    _opts?: unknown,
    name: string = "family",
  ): Promise<FamilyPlan> {
    const settings = (props as { settings: FamilySettings }).settings;
    const { region, window } = await planFamily(name, settings);
    const members = new Map<string, ManagedAmi>();
    const declare = (imageId: string, disabled: boolean) => {
      const memberArgs: ManagedAmiArgs = {
        adopt: { imageId },
        region,
        disabled,
        ...(settings.whenInUse !== undefined ? { whenInUse: settings.whenInUse } : {}),
        ...(settings.deleteSnapshots !== undefined ? { deleteSnapshots: settings.deleteSnapshots } : {}),
        ...(settings.tags ? { tags: settings.tags } : {}),
      };
      members.set(imageId, new ManagedAmi(`${name}-${imageId}`, memberArgs, { parent: this }));
    };
    for (const id of window.enabled) declare(id, false);
    for (const id of window.disabled) declare(id, true);
    if (window.outside.length > 0) {
      void pulumi.log.info(
        `ManagedAmiFamily "${name}": ${window.outside.length} image(s) older than the window are not declared: ${window.outside.join(", ")}. ` +
          "Members among them are retired by this update (shown as deletes in the preview); the others were never members and are left alone.",
        this,
      );
    }
    return { region, window, members };
  }
}
