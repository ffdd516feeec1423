import assert from "node:assert/strict";
import {
  UsageError,
  checkBucketNames,
  checkRegionNames,
  parseDuration,
  parseTagFilter,
} from "../../cli/audit/options";
import { AuditFlags, planFromFlags } from "../../cli/audit/run";
import { buildProgram } from "../../cli/managed-ami";

describe("audit flag parsing", () => {
  const durations: Array<[string, number]> = [
    ["30d", 30 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["2w", 14 * 86_400_000],
    ["0d", 0],
    ["7D", 7 * 86_400_000],
  ];
  for (const [text, ms] of durations)
    it(`--older-than ${text} = ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const bad of ["30", "d", "1.5d", "-1d", "30m", "30 days", ""]) {
    it(`--older-than "${bad}" is a usage error naming the flag`, () => {
      assert.throws(
        () => parseDuration(bad),
        (e: Error) => e instanceof UsageError && e.message.includes("--older-than"),
      );
    });
  }

  it("--exclude-tag K=V, K=*, and values containing =", () => {
    assert.deepEqual(parseTagFilter("keep=true"), { key: "keep", value: "true" });
    assert.deepEqual(parseTagFilter("keep=*"), { key: "keep" });
    assert.deepEqual(parseTagFilter("q=a=b"), { key: "q", value: "a=b" });
    assert.deepEqual(parseTagFilter("empty="), { key: "empty", value: "" });
  });
  for (const bad of ["keep", "=true", ""]) {
    it(`--exclude-tag "${bad}" is a usage error`, () => assert.throws(() => parseTagFilter(bad), UsageError));
  }

  it("accepts region names and de-duplicates them", () => {
    assert.deepEqual(checkRegionNames(["us-east-1", "us-gov-west-1", "us-east-1", "ap-southeast-5"]), [
      "us-east-1",
      "us-gov-west-1",
      "ap-southeast-5",
    ]);
  });
  for (const bad of ["useast1", "US-EAST-1", "us-east", "us_east_1"]) {
    it(`--region "${bad}" is a usage error`, () => assert.throws(() => checkRegionNames([bad]), /--region/));
  }
  for (const bad of ["s3://b", "b/key", "AB", "x"]) {
    it(`--bucket "${bad}" is a usage error`, () => assert.throws(() => checkBucketNames([bad]), /--bucket/));
  }

  it("--delete needs --yes when nobody can be asked, but not with --dry-run", () => {
    assert.throws(() => planFromFlags({ delete: true }, false), /--yes/);
    assert.doesNotThrow(() => planFromFlags({ delete: true }, true));
    assert.doesNotThrow(() => planFromFlags({ delete: true, yes: true }, false));
    assert.doesNotThrow(() => planFromFlags({ delete: true, dryRun: true }, false));
  });
});

describe("audit command line (commander wiring)", () => {
  /** The flags `managed-ami <argv>` hands to the audit, and what it printed. */
  async function parse(argv: string[]): Promise<{ flags?: AuditFlags; out: string }> {
    let flags: AuditFlags | undefined;
    let out = "";
    const { program } = buildProgram(
      async (f) => {
        flags = f;
        return 0;
      },
      { writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) },
    );
    try {
      await program.parseAsync(["node", "managed-ami", ...argv]);
    } catch {
      // commander's exitOverride: --help and usage errors end here; `out` holds what it printed.
    }
    return { flags, out };
  }

  it("--unused-images AGE reaches the audit and is listed in --help (docs/audit.md)", async () => {
    const { flags, out } = await parse(["audit", "--unused-images", "90d", "--recycle-bin"]);
    assert.equal(flags?.unusedImages, "90d", out);
    assert.equal(flags?.recycleBin, true);
    assert.match((await parse(["audit", "--help"])).out, /--unused-images <age>/);
  });
});
