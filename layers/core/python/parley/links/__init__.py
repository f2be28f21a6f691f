"""Short links: shortening the links of a queued post (UTM tags, campaign presets) and following them
(the redirect and its click counting). Used by publishing and by metrics. docs/metrics.md says how."""
