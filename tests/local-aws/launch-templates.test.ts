import assert from "node:assert/strict";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteLaunchTemplateCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  ModifyLaunchTemplateCommand,
  paginateDescribeLaunchTemplateVersions,
} from "@aws-sdk/client-ec2";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, withLocalAws } from "../support/localAws";

const AMI_A = "ami-0aaaaaaaaaaaaaaa1";
const AMI_B = "ami-0bbbbbbbbbbbbbbb2";

describe("local-aws EC2 launch templates", () => {
  const ctx = withLocalAws({});

  it("CreateLaunchTemplate makes version 1 the default and latest; names are unique per account", async () => {
    const ec2 = ec2For(ctx.aws);
    const out = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "web",
        LaunchTemplateData: { ImageId: AMI_A, InstanceType: "t3.micro" },
        VersionDescription: "first",
        TagSpecifications: [{ ResourceType: "launch-template", Tags: [{ Key: "team", Value: "web" }] }],
      }),
    );
    const lt = out.LaunchTemplate;
    assert.match(lt?.LaunchTemplateId ?? "", /^lt-[0-9a-f]{17}$/);
    assert.equal(lt?.LaunchTemplateName, "web");
    assert.equal(lt?.DefaultVersionNumber, 1);
    assert.equal(lt?.LatestVersionNumber, 1);
    assert.deepEqual(lt?.Tags, [{ Key: "team", Value: "web" }]);
    assert.ok(lt?.CreateTime instanceof Date);
    await expectAwsError(
      ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: "web",
          LaunchTemplateData: { ImageId: AMI_B },
        }),
      ),
      "InvalidLaunchTemplateName.AlreadyExistsException",
    );
    // Another account may reuse the name and does not see this template.
    const other = ec2For(ctx.aws, undefined, OTHER_CREDENTIALS.accessKeyId);
    await other.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: "web", LaunchTemplateData: { ImageId: AMI_B } }),
    );
    const mine = await ec2.send(new DescribeLaunchTemplatesCommand({}));
    assert.deepEqual(
      mine.LaunchTemplates?.map((t) => t.LaunchTemplateId),
      [lt?.LaunchTemplateId],
    );
    await expectAwsError(
      other.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [lt?.LaunchTemplateId as string] })),
      "InvalidLaunchTemplateId.NotFound",
    );
  });

  it("versions: SourceVersion inherits data, $Latest/$Default resolve, ModifyLaunchTemplate sets the default", async () => {
    const ec2 = ec2For(ctx.aws);
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "app",
        LaunchTemplateData: { ImageId: AMI_A, InstanceType: "t3.small" },
      }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId as string;
    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: "1",
        LaunchTemplateData: { ImageId: AMI_B },
        VersionDescription: "new image",
      }),
    );
    assert.equal(v2.LaunchTemplateVersion?.VersionNumber, 2);
    assert.equal(v2.LaunchTemplateVersion?.DefaultVersion, false);
    assert.equal(v2.LaunchTemplateVersion?.LaunchTemplateData?.ImageId, AMI_B);
    assert.equal(v2.LaunchTemplateVersion?.LaunchTemplateData?.InstanceType, "t3.small");

    const pick = async (versions: string[]) =>
      (
        await ec2.send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "app", Versions: versions }),
        )
      ).LaunchTemplateVersions?.map((v) => [
        v.VersionNumber,
        v.LaunchTemplateData?.ImageId,
        v.DefaultVersion,
      ]);
    assert.deepEqual(await pick(["$Latest"]), [[2, AMI_B, false]]);
    assert.deepEqual(await pick(["$Default"]), [[1, AMI_A, true]]);

    const modified = await ec2.send(
      new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "2" }),
    );
    assert.equal(modified.LaunchTemplate?.DefaultVersionNumber, 2);
    assert.deepEqual(await pick(["$Default", "$Latest"]), [[2, AMI_B, true]]);
    assert.deepEqual(await pick([]), [
      [2, AMI_B, true],
      [1, AMI_A, false],
    ]);
    await expectAwsError(
      ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "7" })),
      "InvalidLaunchTemplateId.VersionNotFound",
    );
    await expectAwsError(
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["3"] })),
      "InvalidLaunchTemplateId.VersionNotFound",
    );
  });

  it("DescribeLaunchTemplateVersions: image-id filter, $Latest across all templates, paging", async () => {
    const ec2 = ec2For(ctx.aws);
    const a = await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: "lt-a", LaunchTemplateData: { ImageId: AMI_A } }),
    );
    await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: "lt-b", LaunchTemplateData: { ImageId: AMI_B } }),
    );
    const aId = a.LaunchTemplate?.LaunchTemplateId as string;
    for (let i = 0; i < 6; i++) {
      await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: aId,
          LaunchTemplateData: { ImageId: i % 2 ? AMI_A : AMI_B },
        }),
      );
    }
    const withA = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: aId,
        Filters: [{ Name: "image-id", Values: [AMI_A] }],
      }),
    );
    assert.deepEqual(
      withA.LaunchTemplateVersions?.map((v) => v.VersionNumber),
      [7, 5, 3, 1],
    );
    const latestAll = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ["$Latest"] }));
    assert.deepEqual(
      latestAll.LaunchTemplateVersions?.map((v) => [v.LaunchTemplateName, v.VersionNumber]),
      [
        ["lt-a", 7],
        ["lt-b", 1],
      ],
    );
    await expectAwsError(ec2.send(new DescribeLaunchTemplateVersionsCommand({})), "MissingParameter");
    const seen: number[] = [];
    for await (const page of paginateDescribeLaunchTemplateVersions(
      { client: ec2, pageSize: 3 },
      { LaunchTemplateId: aId },
    )) {
      assert.ok((page.LaunchTemplateVersions?.length ?? 0) <= 3);
      seen.push(...(page.LaunchTemplateVersions ?? []).map((v) => v.VersionNumber as number));
    }
    assert.deepEqual(seen, [7, 6, 5, 4, 3, 2, 1]);
    await expectAwsError(
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: aId, MaxResults: 201 })),
      "InvalidParameterValue",
    );
  });

  it("DeleteLaunchTemplate removes it and its versions; bad ids and names are refused", async () => {
    const ec2 = ec2For(ctx.aws);
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: "gone", LaunchTemplateData: { ImageId: AMI_A } }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId as string;
    const del = await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: "gone" }));
    assert.equal(del.LaunchTemplate?.LaunchTemplateId, id);
    await expectAwsError(
      ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] })),
      "InvalidLaunchTemplateId.NotFound",
    );
    await expectAwsError(
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "gone" })),
      "InvalidLaunchTemplateName.NotFoundException",
    );
    await expectAwsError(
      ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: "lt-nothex" })),
      "InvalidLaunchTemplateId.Malformed",
    );
    await expectAwsError(
      ec2.send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: "x", LaunchTemplateData: { ImageId: AMI_A } }),
      ),
      "InvalidParameterValue",
    );
  });

  it("DeleteLaunchTemplateVersions deletes old versions, refuses the default one, never reuses numbers", async () => {
    const ec2 = ec2For(ctx.aws);
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "pruned",
        LaunchTemplateData: { ImageId: AMI_A },
      }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId as string;
    for (let i = 0; i < 2; i++) {
      await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: id,
          LaunchTemplateData: { ImageId: AMI_B },
        }),
      );
    }
    const out = await ec2.send(
      new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["1", "3", "9"] }),
    );
    assert.deepEqual(
      out.SuccessfullyDeletedLaunchTemplateVersions?.map((v) => v.VersionNumber),
      [3],
    );
    assert.deepEqual(
      out.UnsuccessfullyDeletedLaunchTemplateVersions?.map((v) => [v.VersionNumber, v.ResponseError?.Code]),
      [
        [1, "unexpectedError"],
        [9, "launchTemplateVersionDoesNotExist"],
      ],
    );
    const lt = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] })))
      .LaunchTemplates?.[0];
    assert.equal(lt?.LatestVersionNumber, 2);
    const next = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: AMI_A },
      }),
    );
    assert.equal(next.LaunchTemplateVersion?.VersionNumber, 4);
  });

  it("CreateTags tags a launch template; DescribeLaunchTemplates filters by tag", async () => {
    const ec2 = ec2For(ctx.aws);
    const a = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "tag-a",
        LaunchTemplateData: { ImageId: AMI_A },
      }),
    );
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "tag-b",
        LaunchTemplateData: { ImageId: AMI_A },
      }),
    );
    const id = a.LaunchTemplate?.LaunchTemplateId as string;
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "env", Value: "prod" }] }));
    const out = await ec2.send(
      new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:env", Values: ["prod"] }] }),
    );
    assert.deepEqual(
      out.LaunchTemplates?.map((t) => [t.LaunchTemplateId, t.Tags]),
      [[id, [{ Key: "env", Value: "prod" }]]],
    );
    await expectAwsError(
      ec2.send(
        new CreateTagsCommand({ Resources: ["lt-0123456789abcdef0"], Tags: [{ Key: "k", Value: "v" }] }),
      ),
      "InvalidLaunchTemplateId.NotFound",
    );
  });
});
