import type { Ec2Handler } from "./context";
import { copyImage, createImage, deregisterImage, describeImages, registerImage } from "./images";
import {
  describeImageAttribute,
  disableImageDeregistrationProtection,
  enableImageDeregistrationProtection,
  modifyImageAttribute,
} from "./imageAttributes";
import {
  createVolume,
  deleteVolume,
  describeInstances,
  describeVolumes,
  runInstances,
  terminateInstances,
} from "./instances";
import { describeFastLaunchImages, disableFastLaunch, enableFastLaunch } from "./fastLaunch";
import { describeImageReferences } from "./imageReferences";
import {
  createLaunchTemplate,
  createLaunchTemplateVersion,
  deleteLaunchTemplate,
  deleteLaunchTemplateVersions,
  describeLaunchTemplateVersions,
  describeLaunchTemplates,
  modifyLaunchTemplate,
} from "./launchTemplates";
import { disableImage, disableImageDeprecation, enableImage, enableImageDeprecation } from "./lifecycle";
import {
  listImagesInRecycleBin,
  listSnapshotsInRecycleBin,
  restoreImageFromRecycleBin,
  restoreSnapshotFromRecycleBin,
} from "./recycleBin";
import { describeRegions } from "./regions";
import {
  createSnapshot,
  deleteSnapshot,
  describeLockedSnapshots,
  describeSnapshots,
  describeSnapshotTierStatus,
  lockSnapshot,
  modifySnapshotTier,
  unlockSnapshot,
} from "./snapshots";
import { createTags, deleteTags } from "./tags";

/** Every EC2 action local-aws serves; anything else answers InvalidAction. */
export const EC2_ACTIONS: Record<string, Ec2Handler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  CreateVolume: createVolume,
  DescribeVolumes: describeVolumes,
  DeleteVolume: deleteVolume,
  CreateSnapshot: createSnapshot,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
  LockSnapshot: lockSnapshot,
  UnlockSnapshot: unlockSnapshot,
  DescribeLockedSnapshots: describeLockedSnapshots,
  CreateImage: createImage,
  RegisterImage: registerImage,
  CopyImage: copyImage,
  DescribeImages: describeImages,
  DeregisterImage: deregisterImage,
  EnableImageDeregistrationProtection: enableImageDeregistrationProtection,
  DisableImageDeregistrationProtection: disableImageDeregistrationProtection,
  DescribeImageAttribute: describeImageAttribute,
  ModifyImageAttribute: modifyImageAttribute,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeRegions: describeRegions,
  DisableImage: disableImage,
  EnableImage: enableImage,
  EnableImageDeprecation: enableImageDeprecation,
  DisableImageDeprecation: disableImageDeprecation,
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  DeleteLaunchTemplateVersions: deleteLaunchTemplateVersions,
  DescribeImageReferences: describeImageReferences,
  EnableFastLaunch: enableFastLaunch,
  DisableFastLaunch: disableFastLaunch,
  DescribeFastLaunchImages: describeFastLaunchImages,
  ListSnapshotsInRecycleBin: listSnapshotsInRecycleBin,
  ListImagesInRecycleBin: listImagesInRecycleBin,
  RestoreSnapshotFromRecycleBin: restoreSnapshotFromRecycleBin,
  RestoreImageFromRecycleBin: restoreImageFromRecycleBin,
  ModifySnapshotTier: modifySnapshotTier,
  DescribeSnapshotTierStatus: describeSnapshotTierStatus,
};
