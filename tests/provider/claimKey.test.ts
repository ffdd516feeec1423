// The per-resource claim key ManagedAmi sends (issue 10, defect 3): the same stack and resource always
// get the same key (a re-run after an interrupted `up` may claim that run's image); another stack or
// another resource never does.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ManagedAmi } from "../../provider/managedAmi";

async function keyFor(project: string, stack: string, name: string): Promise<string> {
  const seen: Record<string, unknown>[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        seen.push(args.inputs);
        return { id: "ami-0123456789abcdef0", state: { ...args.inputs, imageId: "ami-0123456789abcdef0" } };
      },
      call: () => ({}),
    },
    project,
    stack,
    false,
  );
  const ami = new ManagedAmi(name, {
    name: "same-ami-name",
    fromInstance: { instanceId: "i-0123456789abcdef0" },
  });
  await new Promise<void>((resolve) => ami.imageId.apply(() => resolve()));
  assert.equal(seen.length, 1);
  const key = seen[0].__claimKey;
  assert.equal(typeof key, "string");
  assert.match(key as string, /^[0-9a-f]{16}$/);
  return key as string;
}

describe("ManagedAmi __claimKey", () => {
  it("is stable for one stack and resource, and differs across stacks, projects and resource names", async () => {
    const a = await keyFor("proj", "dev", "web");
    assert.equal(await keyFor("proj", "dev", "web"), a, "a re-run of the same stack gets the same key");
    assert.notEqual(await keyFor("proj", "prod", "web"), a, "another stack");
    assert.notEqual(await keyFor("other", "dev", "web"), a, "another project");
    assert.notEqual(await keyFor("proj", "dev", "api"), a, "another resource");
  });
});
