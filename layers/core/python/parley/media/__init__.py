"""Images: presigned uploads and their check, what a post sends to each network (its images or a link
card), presigned URLs for the networks that fetch. docs/media.md says how."""
