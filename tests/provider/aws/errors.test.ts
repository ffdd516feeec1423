// Table tests of the one module that recognises AWS error codes.
import assert from "node:assert/strict";
import {
  errorCode,
  isAccessDenied,
  isDeregistrationProtected,
  isDryRunOk,
  isMalformed,
  isNoSuchKey,
  isNotFoundImage,
  isSnapshotInUse,
  isSnapshotLocked,
  isSnapshotNotFound,
  isThrottling,
  isTransient,
} from "../../../provider/aws/errors";

function awsError(name: string, message = "", status?: number): Error {
  const err = new Error(message) as Error & { $metadata: { httpStatusCode?: number } };
  err.name = name;
  err.$metadata = { httpStatusCode: status };
  return err;
}

describe("aws/errors", () => {
  const table: [string, (e: unknown) => boolean, Error, boolean][] = [
    ["image NotFound", isNotFoundImage, awsError("InvalidAMIID.NotFound"), true],
    ["image Unavailable", isNotFoundImage, awsError("InvalidAMIID.Unavailable"), true],
    ["image Malformed is not NotFound", isNotFoundImage, awsError("InvalidAMIID.Malformed"), false],
    ["ami malformed", isMalformed, awsError("InvalidAMIID.Malformed"), true],
    ["snapshot malformed", isMalformed, awsError("InvalidSnapshotID.Malformed"), true],
    ["snapshot NotFound", isSnapshotNotFound, awsError("InvalidSnapshot.NotFound"), true],
    ["snapshot InUse", isSnapshotInUse, awsError("InvalidSnapshot.InUse"), true],
    ["InUse is not NotFound", isSnapshotNotFound, awsError("InvalidSnapshot.InUse"), false],
    ["SnapshotLocked", isSnapshotLocked, awsError("SnapshotLocked", "locked in governance mode"), true],
    [
      "OperationNotPermitted with lock message",
      isSnapshotLocked,
      awsError("OperationNotPermitted", "The snapshot is locked"),
      true,
    ],
    ["OperationNotPermitted otherwise", isSnapshotLocked, awsError("OperationNotPermitted", "no"), false],
    ["UnauthorizedOperation", isAccessDenied, awsError("UnauthorizedOperation", "", 403), true],
    ["AccessDenied", isAccessDenied, awsError("AccessDenied", "", 403), true],
    ["AuthFailure", isAccessDenied, awsError("AuthFailure"), true],
    ["RequestLimitExceeded", isThrottling, awsError("RequestLimitExceeded", "", 503), true],
    ["Throttling", isThrottling, awsError("Throttling", "", 400), true],
    ["any 429", isThrottling, awsError("Whatever", "", 429), true],
    [
      "InvalidSnapshot.InUse is not throttling",
      isThrottling,
      awsError("InvalidSnapshot.InUse", "", 400),
      false,
    ],
    ["500", isTransient, awsError("InternalError", "", 500), true],
    ["503", isTransient, awsError("ServiceUnavailable", "", 503), true],
    ["400 is not transient", isTransient, awsError("InvalidParameterValue", "", 400), false],
    ["DryRunOperation", isDryRunOk, awsError("DryRunOperation"), true],
    [
      "protected (AWS-style wording)",
      isDeregistrationProtected,
      awsError("OperationNotPermitted", "The image has deregistration protection enabled"),
      true,
    ],
    [
      "OperationNotPermitted for another reason",
      isDeregistrationProtected,
      awsError("OperationNotPermitted", "other"),
      false,
    ],
    ["NoSuchKey", isNoSuchKey, awsError("NoSuchKey", "", 404), true],
    ["HEAD 404 NotFound", isNoSuchKey, awsError("NotFound", "", 404), true],
    ["NoSuchBucket is not NoSuchKey", isNoSuchKey, awsError("NoSuchBucket", "", 404), false],
  ];
  for (const [name, fn, err, expected] of table) {
    it(`${name} -> ${expected}`, () => assert.equal(fn(err), expected));
  }

  it("a connection reset is transient", () => {
    const err = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    assert.equal(isTransient(err), true);
  });

  it("never throws on non-errors", () => {
    for (const v of [undefined, null, 42, "x", {}]) {
      assert.equal(errorCode(v), "");
      assert.equal(isNotFoundImage(v), false);
      assert.equal(isThrottling(v), false);
    }
  });
});
