import assert from "node:assert/strict";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImageReferencesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeImageReferences,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

const refsOf = async (
  ec2: EC2Client,
  input: ConstructorParameters<typeof DescribeImageReferencesCommand>[0],
) =>
  ((await ec2.send(new DescribeImageReferencesCommand(input))).ImageReferences ?? []).map((r) => [
    r.ImageId,
    r.ResourceType,
    r.Arn,
  ]);

describe("local-aws EC2 DescribeImageReferences", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 0 });

  it("reports instances, launch templates and seeded SSM / Image Builder references with AWS ARNs", async () => {
    const ec2 = ec2For(ctx.aws);
    const account = ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE");
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "referenced");
    const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances?.[0]?.InstanceId as string;
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "uses-it",
        LaunchTemplateData: { ImageId: imageId },
      }),
    );
    const ltId = lt.LaunchTemplate?.LaunchTemplateId as string;
    const ssmArn = `arn:aws:ssm:us-east-1:${account}:parameter/golden/ami`;
    const recipeArn = `arn:aws:imagebuilder:us-east-1:${account}:image-recipe/web/1.0.0`;
    ctx.aws.state.ec2.seedImageReference({ imageId, resourceType: "ssm:Parameter", arn: ssmArn });
    ctx.aws.state.ec2.seedImageReference({
      imageId,
      resourceType: "imagebuilder:ImageRecipe",
      arn: recipeArn,
    });
    // A reference in another account is not reported.
    ctx.aws.state.ec2.seedImageReference({
      imageId,
      resourceType: "ssm:Parameter",
      arn: "arn:aws:ssm:us-east-1:999999999999:parameter/elsewhere",
    });
    const all = await refsOf(ec2, { ImageIds: [imageId], IncludeAllResourceTypes: true });
    assert.deepEqual(
      all.sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        [imageId, "ec2:Instance", `arn:aws:ec2:us-east-1:${account}:instance/${instanceId}`],
        [imageId, "ec2:LaunchTemplate", `arn:aws:ec2:us-east-1:${account}:launch-template/${ltId}`],
        [imageId, "imagebuilder:ImageRecipe", recipeArn],
        [imageId, "ssm:Parameter", ssmArn],
      ],
    );
    const onlySsm = await refsOf(ec2, {
      ImageIds: [imageId],
      ResourceTypes: [{ ResourceType: "ssm:Parameter" }],
    });
    assert.deepEqual(onlySsm, [[imageId, "ssm:Parameter", ssmArn]]);
    // Other accounts see none of it.
    const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
    await expectAwsError(
      other.send(new DescribeImageReferencesCommand({ ImageIds: [imageId], IncludeAllResourceTypes: true })),
      "InvalidAMIID.NotFound",
    );
  });

  it("state-name selects instances by state", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "instances");
    const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2 }));
    const [keep, stop] = (run.Instances ?? []).map((i) => i.InstanceId as string);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [stop] }));
    const byState = async (states?: string[]) =>
      (
        await refsOf(ec2, {
          ImageIds: [imageId],
          ResourceTypes: [
            {
              ResourceType: "ec2:Instance",
              ResourceTypeOptions: states ? [{ OptionName: "state-name", OptionValues: states }] : undefined,
            },
          ],
        })
      ).map((r) => String(r[2]).split("/")[1]);
    assert.deepEqual(await byState(["running", "pending"]), [keep]);
    assert.deepEqual((await byState()).sort(), [keep, stop].sort());
    await expectAwsError(
      ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: [imageId],
          ResourceTypes: [
            {
              ResourceType: "ec2:Instance",
              ResourceTypeOptions: [{ OptionName: "version-depth", OptionValues: ["3"] }],
            },
          ],
        }),
      ),
      "InvalidParameterValue",
    );
  });

  it("version-depth: the 10 most recent launch-template versions by default", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "old-version");
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "deep",
        LaunchTemplateData: { ImageId: imageId },
      }),
    );
    const ltId = lt.LaunchTemplate?.LaunchTemplateId as string;
    for (let i = 0; i < 10; i++) {
      await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: ltId,
          LaunchTemplateData: { ImageId: ctx.aws.state.baseImageId("us-east-1") },
        }),
      );
    }
    // Version 1 (the image) is the 11th most recent: outside the default depth.
    const lts = (depth?: string) =>
      refsOf(ec2, {
        ImageIds: [imageId],
        ResourceTypes: [
          {
            ResourceType: "ec2:LaunchTemplate",
            ResourceTypeOptions: depth ? [{ OptionName: "version-depth", OptionValues: [depth] }] : undefined,
          },
        ],
      });
    assert.deepEqual(await lts(), []);
    assert.equal((await lts("11")).length, 1);
    assert.equal((await lts("10000")).length, 1);
    await expectAwsError(lts("0"), "InvalidParameterValue");
  });

  it("validates ids (1-10), resource types, MaxResults 5-1000, and pages with NextToken", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "paged");
    await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 12, MaxCount: 12 }));
    const many = Array.from({ length: 11 }, () => imageId);
    await expectAwsError(
      ec2.send(new DescribeImageReferencesCommand({ ImageIds: many, IncludeAllResourceTypes: true })),
      "InvalidParameterValue",
    );
    await expectAwsError(
      ec2.send(new DescribeImageReferencesCommand({ ImageIds: [imageId] })),
      "MissingParameter",
    );
    await expectAwsError(
      ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: [imageId],
          ResourceTypes: [{ ResourceType: "ec2:Volume" as never }],
        }),
      ),
      "InvalidParameterValue",
    );
    await expectAwsError(
      ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: [imageId],
          IncludeAllResourceTypes: true,
          MaxResults: 4,
        }),
      ),
      "InvalidParameterValue",
    );
    await expectAwsError(
      ec2.send(new DescribeImageReferencesCommand({ ImageIds: ["ami-123"], IncludeAllResourceTypes: true })),
      "InvalidAMIID.Malformed",
    );
    const arns: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeImageReferences(
      { client: ec2, pageSize: 5 },
      { ImageIds: [imageId], IncludeAllResourceTypes: true },
    )) {
      pages++;
      arns.push(...(page.ImageReferences ?? []).map((r) => r.Arn as string));
    }
    assert.equal(pages, 3);
    assert.equal(new Set(arns).size, 12);
  });

  it("answers as unsupported (InvalidAction) or denied (UnauthorizedOperation), switchable at runtime", async () => {
    const ec2 = ec2For(ctx.aws);
    const { imageId } = await seedEbsImage(ctx.aws, ec2, "switch");
    const call = () =>
      ec2.send(new DescribeImageReferencesCommand({ ImageIds: [imageId], IncludeAllResourceTypes: true }));
    ctx.aws.state.ec2.settings.imageReferences = "unsupported";
    const unsupported = await expectAwsError(call(), "InvalidAction", 400);
    assert.match(unsupported.message, /not valid for this web service/);
    ctx.aws.state.ec2.settings.imageReferences = "denied";
    const denied = await expectAwsError(call(), "UnauthorizedOperation", 403);
    assert.match(denied.message, /ec2:DescribeImageReferences/);
    ctx.aws.state.ec2.settings.imageReferences = "supported";
    assert.deepEqual((await call()).ImageReferences ?? [], []);
  });

  describe("with the imageReferences start option", () => {
    const denied = withLocalAws({ imageReferences: "unsupported" });
    it("starts unsupported and reset() restores the start option", async () => {
      const ec2 = ec2For(denied.aws);
      const image = denied.aws.state.baseImageId("us-east-1");
      const call = () =>
        ec2.send(new DescribeImageReferencesCommand({ ImageIds: [image], IncludeAllResourceTypes: true }));
      await expectAwsError(call(), "InvalidAction");
      denied.aws.state.ec2.settings.imageReferences = "supported";
      await call();
      denied.aws.reset();
      await expectAwsError(call(), "InvalidAction");
    });
  });
});
