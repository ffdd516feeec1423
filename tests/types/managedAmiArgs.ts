/**
 * Type-level test of `ManagedAmiArgs` (issue 11 §5), checked by `npx tsc --noEmit -p tsconfig.json`:
 * each `@ts-expect-error` line must be a compile error, or tsc fails ("Unused '@ts-expect-error'").
 * Never executed (the function is not called).
 */
import {
  ManagedAmi,
  type FromSnapshotsSource,
  type ManagedAmiArgs,
  type SnapshotMapping,
} from "../../provider";

export function typeChecks(): void {
  const mapping = { deviceName: "/dev/xvda", snapshotId: "snap-0123456789abcdef0" };
  // Valid: one source each, name optional.
  new ManagedAmi("a", { fromSnapshots: { rootDeviceName: "/dev/xvda", blockDeviceMappings: [mapping] } });
  new ManagedAmi("b", { name: "web", fromInstance: { instanceId: "i-0123456789abcdef0" } });
  new ManagedAmi("c", { copyOf: { sourceImageId: "ami-0123456789abcdef0", sourceRegion: "us-west-2" } });
  new ManagedAmi("d", { fromManifest: { imageLocation: "b/x.manifest.xml", architecture: "arm64" } });
  new ManagedAmi("e", { adopt: { imageId: "ami-0123456789abcdef0" }, whenInUse: "warn", disabled: true });
  new ManagedAmi("f", {
    fromSnapshots: {
      rootDeviceName: "/dev/xvda",
      blockDeviceMappings: [{ ...mapping, volumeType: "io2" }],
      virtualizationType: "hvm",
      bootMode: "uefi",
    },
    deregistrationProtection: true,
    deprecationTime: "2030-01-01T00:00:00Z",
  });

  // @ts-expect-error no source
  new ManagedAmi("x", {});
  // @ts-expect-error two sources
  new ManagedAmi("x", { fromInstance: { instanceId: "i-1" }, adopt: { imageId: "ami-1" } });
  // @ts-expect-error adopt keeps the image's own name
  new ManagedAmi("x", { adopt: { imageId: "ami-1" }, name: "n" });
  const root = "/dev/xvda";
  // @ts-expect-error volumeType is a literal union
  const volumeType: SnapshotMapping["volumeType"] = "gp9";
  // @ts-expect-error architecture is a literal union
  new ManagedAmi("x", { fromManifest: { imageLocation: "b/x.manifest.xml", architecture: "sparc" } });
  // @ts-expect-error virtualizationType is a literal union
  const virtualization: FromSnapshotsSource["virtualizationType"] = "pv";
  // @ts-expect-error bootMode is a literal union
  new ManagedAmi("x", { fromSnapshots: { rootDeviceName: root, blockDeviceMappings: [], bootMode: "bios" } });
  // @ts-expect-error whenInUse is "fail" | "warn"
  new ManagedAmi("x", { fromInstance: { instanceId: "i-1" }, whenInUse: "ignore" });

  const args: ManagedAmiArgs = { fromInstance: { instanceId: "i-1" } };
  void [args, volumeType, virtualization];
}
