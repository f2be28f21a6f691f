"""API Gateway (`/`, `/app`, `/app/{proxy+}`) -> the marketers' web app.

A placeholder so the CDK app has a web function to deploy: the web room (parley.web, its pages, sessions
and CSRF) replaces it. It answers one small HTML page with the same Content-Security-Policy the
CloudFront distribution adds (infra/parley_cdk/web.py), as the local runtime has no CloudFront.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from parley.shared.observability import logger

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    "<title>parley</title><link rel=stylesheet href='/static/app.css'>"
    "<body><main><h1>parley</h1><p>The web app is on its way.</p></main></body></html>"
)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
        "body": PAGE,
    }
