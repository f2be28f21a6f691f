"""Small pieces every room uses: the clock, settings and resource names, errors, ids, time parsing, logging
and metrics, boto3 clients, cursors. They import nothing else of parley."""
