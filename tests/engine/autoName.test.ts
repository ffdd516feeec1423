// Auto-naming through the real dynamic-provider host (spec v2): the quick start sets no `name`, so
// `check` names the image `<resource name>-<7 hex>` from the `__resourceName` ManagedAmi passes in.
import { strict as assert } from "assert";
import { join } from "path";
import { DescribeImagesCommand } from "@aws-sdk/client-ec2";
import { awsMocks, destroyProgram, runProgram } from "../../engine";
import { inventory, REGION, Stack, startStack, TYPE } from "./support";

const EXAMPLES = join(__dirname, "..", "..", "examples");

describe("auto-naming under the engine", function () {
  this.timeout(90_000);
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('quickstart\'s ManagedAmi "web" without name is created as web-<7 hex>, recorded, and destroyed cleanly', async () => {
    const before = inventory(stack);
    const mocks = awsMocks({ region: REGION });
    const run = await runProgram({ programDir: join(EXAMPLES, "quickstart"), engine: stack.engine, mocks });
    const name = run.outputs.imageName as string;
    assert.match(name, /^web-[0-9a-f]{7}$/);
    assert.equal(run.resources.filter((r) => r.type === TYPE).length, 1);
    const out = await stack
      .ec2()
      .send(new DescribeImagesCommand({ ImageIds: [run.outputs.imageId as string] }));
    assert.equal(out.Images?.[0]?.Name, name);
    assert.ok(!JSON.stringify(out.Images?.[0]?.Tags ?? []).includes("__resourceName"));
    await destroyProgram(run, stack.engine, mocks);
    assert.deepEqual(inventory(stack), before);
  });
});
