// Every policy of the pack, in the order the table in docs/policy-pack.md lists them.
import { Policies } from "@pulumi/policy";
import { amiDeregistrationProtection, amiRequiredTags } from "./governance";
import { managedAmiWhenInUseProduction } from "./inUse";
import { amiCopyEncrypted, noPublicAmis } from "./sharing";
import {
  amiDerivedStorageOwned,
  amiStorageOwned,
  managedAmiDeletesStorage,
  snapshotSingleOwner,
} from "./storage";

export { amiDeregistrationProtection, amiRequiredTags } from "./governance";
export { managedAmiWhenInUseProduction } from "./inUse";
export { amiCopyEncrypted, noPublicAmis } from "./sharing";
export {
  amiDerivedStorageOwned,
  amiStorageOwned,
  managedAmiDeletesStorage,
  snapshotSingleOwner,
} from "./storage";

export const policies: Policies = [
  amiStorageOwned,
  amiDerivedStorageOwned,
  managedAmiDeletesStorage,
  snapshotSingleOwner,
  noPublicAmis,
  amiRequiredTags,
  amiDeregistrationProtection,
  managedAmiWhenInUseProduction,
  amiCopyEncrypted,
];
