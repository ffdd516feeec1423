/**
 * The tag a `ManagedAmi` puts on every snapshot it owns: key `managed-ami:image-id`, value the AMI id.
 * The audit reads it to attribute a snapshot whose image is gone.
 */
export const MANAGED_AMI_IMAGE_TAG = "managed-ami:image-id";
