"""parley: queue posts, publish them on time exactly once, listen to what comes back."""
