// ManagedAmiFamily arguments: a valid base case, then one bad change per test, each naming the property and the fix.
import { strict as assert } from "assert";
import { FamilyArgsError, validateFamilyArgs, type ManagedAmiFamilyArgs } from "../../provider/family/args";

const BASE: ManagedAmiFamilyArgs = { namePrefix: "web-", keep: 2 };

function problems(args: unknown): string[] {
  try {
    validateFamilyArgs("web", args as ManagedAmiFamilyArgs);
  } catch (err) {
    assert.ok(err instanceof FamilyArgsError, String(err));
    assert.match(err.message, /^ManagedAmiFamily "web": invalid arguments \(nothing was called\)/);
    return err.problems;
  }
  return [];
}

describe("family arguments", () => {
  it("the base case passes with defaults applied", () => {
    assert.deepEqual(validateFamilyArgs("web", BASE), {
      namePrefix: "web-",
      keep: 2,
      keepDisabled: 0,
      minAgeDays: 0,
      pin: [],
    });
  });

  it("every field passes through when valid; duplicate pins collapse", () => {
    const s = validateFamilyArgs("web", {
      tags: { family: "web" },
      keep: 1,
      keepDisabled: 2,
      minAgeDays: 7.5,
      pin: ["ami-0abc1234def567890", "ami-12345678", "ami-12345678"],
      whenInUse: "warn",
      deleteSnapshots: false,
      region: "eu-west-1",
    });
    assert.deepEqual(s, {
      tags: { family: "web" },
      keep: 1,
      keepDisabled: 2,
      minAgeDays: 7.5,
      pin: ["ami-0abc1234def567890", "ami-12345678"],
      whenInUse: "warn",
      deleteSnapshots: false,
      region: "eu-west-1",
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ["keep 0", { ...BASE, keep: 0 }, /^keep: must be an integer of at least 1 \(got 0\)/],
    ["keep negative", { ...BASE, keep: -1 }, /^keep: must be an integer of at least 1/],
    ["keep fractional", { ...BASE, keep: 1.5 }, /^keep: must be an integer/],
    [
      "keep NaN (shown as NaN, not null)",
      { ...BASE, keep: NaN },
      /^keep: must be an integer of at least 1 \(got NaN\)/,
    ],
    ["keep missing", { namePrefix: "web-" }, /^keep: is required/],
    [
      "keepDisabled negative",
      { ...BASE, keepDisabled: -1 },
      /^keepDisabled: must be an integer of 0 or more \(got -1\)/,
    ],
    [
      "minAgeDays negative",
      { ...BASE, minAgeDays: -3 },
      /^minAgeDays: must be a number of days, 0 or more \(got -3\)/,
    ],
    ["minAgeDays not a number", { ...BASE, minAgeDays: "7" }, /^minAgeDays:/],
    ["no selector", { keep: 2 }, /^namePrefix\/tags: neither is set.*set namePrefix/],
    ["empty prefix", { ...BASE, namePrefix: "" }, /^namePrefix: must be a non-empty string/],
    ["wildcard prefix", { ...BASE, namePrefix: "web-*" }, /^namePrefix: "web-\*" cannot start an AMI name/],
    ["empty tags only", { keep: 1, tags: {} }, /^tags: is empty/],
    ["aws: tag key", { keep: 1, tags: { "aws:x": "y" } }, /^tags: key "aws:x"/],
    ["non-string tag value", { keep: 1, tags: { family: 3 } }, /^tags\.family: must be a string/],
    ["malformed pin", { ...BASE, pin: ["ami-XYZ"] }, /^pin\[0\]: "ami-XYZ" is not an AMI id/],
    [
      "pin of a snapshot id",
      { ...BASE, pin: ["ami-12345678", "snap-12345678"] },
      /^pin\[1\]: "snap-12345678" is not an AMI id/,
    ],
    ["pin not a list", { ...BASE, pin: "ami-12345678" }, /^pin: must be a list/],
    ["whenInUse typo", { ...BASE, whenInUse: "ignore" }, /^whenInUse: must be "fail" or "warn"/],
    [
      "deleteSnapshots not boolean",
      { ...BASE, deleteSnapshots: "yes" },
      /^deleteSnapshots: must be true or false/,
    ],
    ["region typo", { ...BASE, region: "us-east1" }, /^region: "us-east1" is not an AWS region name/],
    ["unknown argument", { ...BASE, keepEnabled: 3 }, /^keepEnabled: not an argument of ManagedAmiFamily/],
    [
      "an Output",
      { ...BASE, namePrefix: { apply: () => undefined } },
      /^namePrefix: must be a plain value, not a pulumi Output/,
    ],
  ];
  for (const [what, args, expected] of bad) {
    it(`fails on ${what}, naming the property`, () => {
      const found = problems(args);
      assert.ok(
        found.some((p) => expected.test(p)),
        `expected ${expected} among:\n${found.join("\n")}`,
      );
    });
  }

  it("reports every problem at once", () => {
    const found = problems({ keep: 0, keepDisabled: -1, pin: ["x"] });
    assert.equal(found.length, 4, found.join("\n"));
  });
});
