"""The marketers' web app: server-rendered pages (Jinja2 templates) with htmx for the live parts, on the same core
rooms as the API (docs/web.md). Like `http` and `cli`, it sits above the domain rooms and imports neither of them."""
