/**
 * `ManagedAmi`: a dynamic resource that owns an AMI and the storage behind it. Destroy (or a
 * replacement) deregisters the image and deletes exactly its own EBS snapshots or S3 bundle.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmiProvider } from "./provider";
import type {
  AdoptSource,
  CopyOfSource,
  FromInstanceSource,
  FromManifestSource,
  FromSnapshotsSource,
  OwnedBundle,
} from "./types";

/**
 * `T` with every nested field and array item also accepting a `pulumi.Input`, so a source can name
 * other resources' outputs directly: `fromInstance: { instanceId: instance.id }`.
 */
export type NestedInput<T> = T extends readonly (infer U)[]
  ? pulumi.Input<NestedInput<U>>[]
  : T extends object
    ? { [K in keyof T]: pulumi.Input<NestedInput<T[K]>> }
    : T;

/** The inputs every `ManagedAmi` takes, whatever its source. */
export interface ManagedAmiCommonArgs {
  /** AMI description; default none. Updated in place; removing it leaves the current text on the AMI. */
  readonly description?: pulumi.Input<string>;
  /**
   * Tags on the AMI and on every snapshot it owns (at most 50, no `aws:` keys); default none.
   * Updated in place; destroy deletes the tagged snapshots along with the image.
   */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Region of the image; default the AWS SDK's resolution (`AWS_REGION`, profile). The resolved
   * region is recorded and used by every later call, destroy included. Changing it replaces the image.
   */
  readonly region?: pulumi.Input<string>;
  /** Delete the owned EBS snapshots on destroy; default true. `false` keeps every snapshot. */
  readonly deleteSnapshots?: pulumi.Input<boolean>;
  /** Delete the owned S3 manifest and parts on destroy; default true. `false` keeps the bundle. */
  readonly deleteBundle?: pulumi.Input<boolean>;
  /**
   * On destroy, turn deregistration protection off first instead of failing; default false.
   * A protection cooldown still fails the destroy, naming the time it lifts.
   */
  readonly disableDeregistrationProtection?: pulumi.Input<boolean>;
  /**
   * What destroy does when a launch template's `$Default`/`$Latest` version, an SSM parameter or an
   * Image Builder recipe still uses the image: `fail` (default; nothing is deleted) or `warn` (delete anyway).
   */
  readonly whenInUse?: pulumi.Input<"fail" | "warn">;
  /** Keep AWS deregistration protection on (no cooldown); default false. Destroy still needs disableDeregistrationProtection. */
  readonly deregistrationProtection?: pulumi.Input<boolean>;
  /** ISO 8601 time the image is deprecated at (EnableImageDeprecation); removing it un-deprecates. Default none. */
  readonly deprecationTime?: pulumi.Input<string>;
  /** Disable the image (DisableImage: no launches, snapshots kept); default false. Destroy deregisters it as usual. */
  readonly disabled?: pulumi.Input<boolean>;
}

/** The five sources; a `ManagedAmiArgs` sets exactly one of them. */
export interface ManagedAmiSources {
  /**
   * Register an EBS-backed image from existing snapshots (RegisterImage). The snapshots become owned:
   * destroy deletes them (unless `deleteSnapshots: false` or another image uses them).
   */
  readonly fromSnapshots?: pulumi.Input<NestedInput<FromSnapshotsSource>>;
  /** Create an image from an instance (CreateImage). Destroy deletes the snapshots AWS made for it. */
  readonly fromInstance?: pulumi.Input<NestedInput<FromInstanceSource>>;
  /**
   * Copy an image from `sourceRegion` into this resource's region (CopyImage, idempotent ClientToken).
   * Destroy deletes only the copy and its new snapshots, never the source.
   */
  readonly copyOf?: pulumi.Input<NestedInput<CopyOfSource>>;
  /**
   * Register an instance-store image from an S3 bundle (`bucket/path/x.manifest.xml`). Destroy deletes
   * the manifest and exactly the part keys it lists (unless `deleteBundle: false` or another image uses it).
   */
  readonly fromManifest?: pulumi.Input<NestedInput<FromManifestSource>>;
  /**
   * Take over an existing AMI of your own account (e.g. built by Packer); foreign or missing images are
   * refused and nothing is changed. From then on destroy deletes it and its storage like any other source.
   */
  readonly adopt?: pulumi.Input<NestedInput<AdoptSource>>;
}

type SourceName = keyof ManagedAmiSources;
/** Exactly `K` among the sources: the others cannot be set. */
type Only<K extends SourceName> = { readonly [P in K]-?: ManagedAmiSources[P] } & {
  readonly [P in Exclude<SourceName, K>]?: undefined;
};
/**
 * AMI name (3–128 chars of `A-Za-z0-9 ()[]./-'@_`); default `<resource name>-<7 hex>`, kept on
 * later updates. Changing it replaces the image (old one deleted first when the name is reused).
 */
type Named = { readonly name?: pulumi.Input<string> };

/**
 * Arguments of a `ManagedAmi`: the common inputs and exactly one source — `fromSnapshots`,
 * `fromInstance`, `copyOf`, `fromManifest` or `adopt` (an adopted image keeps its own name: no `name`).
 */
export type ManagedAmiArgs = ManagedAmiCommonArgs &
  (
    | (Only<"fromSnapshots"> & Named)
    | (Only<"fromInstance"> & Named)
    | (Only<"copyOf"> & Named)
    | (Only<"fromManifest"> & Named)
    | (Only<"adopt"> & { readonly name?: undefined })
  );

let provider: ManagedAmiProvider | undefined;

/** One stateless provider for every resource, so Pulumi serializes it once (it caches per object). */
function sharedProvider(): ManagedAmiProvider {
  provider ??= new ManagedAmiProvider();
  return provider;
}

/** An AMI together with the storage behind it; see `ManagedAmiArgs` for what destroy deletes. */
export class ManagedAmi extends pulumi.dynamic.Resource {
  /** The AMI id (also the resource id). */
  declare public readonly imageId: pulumi.Output<string>;
  /** The region the image lives in (resolved at create time). */
  declare public readonly region: pulumi.Output<string>;
  /** The account that owns the image. */
  declare public readonly ownerId: pulumi.Output<string>;
  /** `available`, …, or `deregistered` when the image is gone but owned storage remains for destroy. */
  declare public readonly state: pulumi.Output<string>;
  /** `ebs` or `instance-store`. */
  declare public readonly rootDeviceType: pulumi.Output<"ebs" | "instance-store">;
  /** The EBS snapshots this resource owns and deletes on destroy (recorded at create/adopt time). */
  declare public readonly snapshotIds: pulumi.Output<string[]>;
  /** The S3 bundle this resource owns and deletes on destroy (instance-store images only). */
  declare public readonly bundle: pulumi.Output<OwnedBundle | undefined>;
  /** When AWS created the image (ISO 8601). */
  declare public readonly creationDate: pulumi.Output<string | undefined>;
  /** `x86_64`, `arm64`, … */
  declare public readonly architecture: pulumi.Output<string | undefined>;
  /** Snapshots in the image's mappings another account owns: never recorded, tagged or deleted. */
  declare public readonly unownedSnapshotIds: pulumi.Output<string[] | undefined>;
  /** This create's token (tag `managed-ami:create-token` on the image). */
  declare public readonly createToken: pulumi.Output<string | undefined>;
  /** The AMI name (for `adopt`, the image's own name). */
  declare public readonly name: pulumi.Output<string>;
  declare public readonly description: pulumi.Output<string | undefined>;
  declare public readonly tags: pulumi.Output<Record<string, string> | undefined>;
  declare public readonly fromSnapshots: pulumi.Output<FromSnapshotsSource | undefined>;
  declare public readonly fromInstance: pulumi.Output<FromInstanceSource | undefined>;
  declare public readonly copyOf: pulumi.Output<CopyOfSource | undefined>;
  declare public readonly fromManifest: pulumi.Output<FromManifestSource | undefined>;
  declare public readonly adopt: pulumi.Output<AdoptSource | undefined>;
  declare public readonly deleteSnapshots: pulumi.Output<boolean | undefined>;
  declare public readonly deleteBundle: pulumi.Output<boolean | undefined>;
  declare public readonly disableDeregistrationProtection: pulumi.Output<boolean | undefined>;
  declare public readonly whenInUse: pulumi.Output<"fail" | "warn" | undefined>;
  /** Deregistration protection as AWS reports it (read back on refresh). */
  declare public readonly deregistrationProtection: pulumi.Output<boolean>;
  /** The deprecation time AWS reports (rounded to the minute), if any. */
  declare public readonly deprecationTime: pulumi.Output<string | undefined>;
  /** Whether the image is disabled, as AWS reports it. */
  declare public readonly disabled: pulumi.Output<boolean>;

  /** Creates (or adopts) an AMI managed together with its storage. */
  constructor(name: string, args: ManagedAmiArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      sharedProvider(),
      name,
      {
        // Every input and output is listed so each becomes an Output property, set or not.
        name: undefined,
        description: undefined,
        tags: undefined,
        region: undefined,
        fromSnapshots: undefined,
        fromInstance: undefined,
        copyOf: undefined,
        fromManifest: undefined,
        adopt: undefined,
        deleteSnapshots: undefined,
        deleteBundle: undefined,
        disableDeregistrationProtection: undefined,
        whenInUse: undefined,
        deregistrationProtection: undefined,
        deprecationTime: undefined,
        disabled: undefined,
        ...args,
        // The prefix of an auto-name (check does not get the resource name from the engine); never sent to AWS.
        __resourceName: name,
        // Stable per stack and resource: a re-run after an interrupted `up` claims that run's image.
        __claimKey: claimKey(name, opts),
        imageId: undefined,
        ownerId: undefined,
        state: undefined,
        rootDeviceType: undefined,
        snapshotIds: undefined,
        bundle: undefined,
        creationDate: undefined,
        architecture: undefined,
        unownedSnapshotIds: undefined,
        createToken: undefined,
      },
      opts,
      "managed-ami",
      "ManagedAmi",
    );
  }
}

/** A digest of project, stack, parent and name (16 hex): the same resource gets the same key. */
function claimKey(name: string, opts?: pulumi.CustomResourceOptions): pulumi.Output<string> {
  // The parent's URN as a plain value: an Output of a component's URN would make this resource depend on
  // the component, i.e. wait for all of its children, so two ManagedAmi under one component would deadlock.
  const parentUrn = opts?.parent ? opts.parent.urn : undefined;
  const parent = parentUrn
    ? new Promise<string>((resolve) => parentUrn.apply((u) => (resolve(u), u)))
    : Promise.resolve("");
  return pulumi.output(
    parent.then((p) =>
      createHash("sha256")
        .update(JSON.stringify(["managed-ami/claim/v1", pulumi.getProject(), pulumi.getStack(), p, name]))
        .digest("hex")
        .slice(0, 16),
    ),
  );
}
