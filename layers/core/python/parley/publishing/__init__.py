"""Publishing: posts and their deliveries (the state machine), queue-time quotas, holds, and the publish
step itself. docs/publishing-on-time.md says how a post goes out on time, exactly once."""
