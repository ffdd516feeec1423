// Property-based proof of the in-use guard's safety invariant (spec v2, issue 12): under
// whenInUse "fail", no image with a blocking reference is ever deregistered and none of its storage
// is deleted. fast-check generates, per run, images with random blocking references (launch template
// $Default/$Latest, SSM parameter, Image Builder recipes), non-blocking ones (instances, old template
// versions) and none; every image is then torn down concurrently against local-aws.
import assert from "node:assert/strict";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import fc from "fast-check";
import { teardown } from "../../provider/teardown";
import type { ManagedAmiOutputs } from "../../provider/types";
import { ebsAmi, registerEbs, makeSnapshot, REGION, startEnv, type Env } from "../provider/teardownFixtures";

type RefKind =
  | "none"
  | "lt-default"
  | "lt-latest"
  | "lt-old-version"
  | "ssm"
  | "image-recipe"
  | "container-recipe"
  | "instance";
const BLOCKING: RefKind[] = ["lt-default", "lt-latest", "ssm", "image-recipe", "container-recipe"];
const KINDS: RefKind[] = ["none", "lt-old-version", "instance", ...BLOCKING];
let seq = 0;

async function addReference(env: Env, imageId: string, kind: RefKind, other: string): Promise<void> {
  const name = `inv-${seq++}`;
  const lt = async (first: string) =>
    (
      await env.ec2.send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: first } }),
      )
    ).LaunchTemplate?.LaunchTemplateId as string;
  const version = async (ltId: string, image: string) =>
    (
      await env.ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: ltId,
          LaunchTemplateData: { ImageId: image },
        }),
      )
    ).LaunchTemplateVersion?.VersionNumber as number;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REGION}:${env.accountId}:${resource}`;
  switch (kind) {
    case "none":
      return;
    case "lt-default":
      await lt(imageId);
      return;
    case "lt-latest":
      await version(await lt(other), imageId);
      return;
    case "lt-old-version": {
      const id = await lt(imageId);
      const v = await version(id, other);
      await env.ec2.send(
        new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: String(v) }),
      );
      return;
    }
    case "ssm":
      env.aws.state.ec2.seedImageReference({
        imageId,
        resourceType: "ssm:Parameter",
        arn: arn("ssm", `parameter/${name}`),
      });
      return;
    case "image-recipe":
      env.aws.state.ec2.seedImageReference({
        imageId,
        resourceType: "imagebuilder:ImageRecipe",
        arn: arn("imagebuilder", `image-recipe/${name}/1.0.0`),
      });
      return;
    case "container-recipe":
      env.aws.state.ec2.seedImageReference({
        imageId,
        resourceType: "imagebuilder:ContainerRecipe",
        arn: arn("imagebuilder", `container-recipe/${name}/1.0.0`),
      });
      return;
    case "instance":
      await env.ec2.send(
        new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }),
      );
      return;
  }
}

describe("in-use guard invariant (property-based)", function () {
  this.timeout(120_000);

  it('under whenInUse "fail" no image with a blocking reference is deregistered or loses storage; the others are deleted', async () => {
    const property = fc.asyncProperty(
      fc.array(fc.array(fc.constantFrom(...KINDS), { maxLength: 2 }), { minLength: 1, maxLength: 6 }),
      async (plan) => {
        const env = await startEnv();
        try {
          const other = await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]);
          const images: { outs: ManagedAmiOutputs; blocked: boolean }[] = [];
          for (const kinds of plan) {
            const outs = await ebsAmi(env, 1, { whenInUse: "fail" });
            for (const k of kinds) await addReference(env, outs.imageId, k, other);
            images.push({ outs, blocked: kinds.some((k) => BLOCKING.includes(k)) });
          }
          const log = { warn: () => {} };
          const settled = await Promise.allSettled(
            images.map(({ outs }) => teardown(outs, { ec2: env.ec2, s3: env.s3, clock: env.clock, log })),
          );
          images.forEach(({ outs, blocked }, i) => {
            const state = env.aws.state.images.get(outs.imageId)?.state;
            if (blocked) {
              assert.equal(settled[i].status, "rejected", `blocked ${outs.imageId} was torn down`);
              assert.equal(state, "available", `blocked ${outs.imageId} is ${state}`);
              for (const s of outs.snapshotIds)
                assert.ok(env.aws.state.snapshots.has(s), `snapshot ${s} of a blocked image was deleted`);
            } else {
              assert.equal(
                settled[i].status,
                "fulfilled",
                `unblocked ${outs.imageId}: ${String((settled[i] as PromiseRejectedResult).reason)}`,
              );
              assert.notEqual(state, "available");
            }
          });
        } finally {
          await env.stop();
        }
      },
    );
    await fc.assert(property, { numRuns: Number(process.env.MANAGED_AMI_INVARIANT_RUNS ?? 25) });
  });
});
