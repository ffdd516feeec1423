// The "managed-ami-lifecycle" CrossGuard pack: stop orphaned AMI storage at preview time.
// Run it with `pulumi preview --policy-pack <this folder>`; policies are in ./policies, one module per area.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("managed-ami-lifecycle", {
  description:
    "AMI lifecycle guardrails: every AMI's snapshots or S3 bundle have exactly one owner that deletes them, " +
    "no public AMIs, tagged and protected images.",
  enforcementLevel: "advisory",
  policies,
});
