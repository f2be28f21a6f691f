"""Connecting accounts through each network's own consent page (OAuth 2.0), and keeping their tokens alive.

One small module per network describes its provider (`linkedin`, `facebook`, `instagram`, `threads`);
`flow` runs the connection for any of them, `apps` keeps parley's app per network, `upkeep` renews tokens.
X keeps its own modules (`parley.x_connect`, `parley.x_app`): it came first and its flow is unchanged.
"""
