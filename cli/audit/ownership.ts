/**
 * The tag a `ManagedAmi` puts on every snapshot it owns (defined by the provider's tagging module):
 * key `managed-ami:image-id`, value the AMI id. The audit reads it to attribute a snapshot whose image is gone.
 */
export { MANAGED_AMI_IMAGE_TAG } from "../../provider/aws/tags";
