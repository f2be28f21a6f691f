"""A CSV row's `media_urls` as media ids (parley.media.fetched): each URL and alt text fetched and stored
once per file. A dry run fetches and checks the images but stores nothing, so it cannot check them against
each network's image rules (sizes, counts, alt text required): the real import does."""

from __future__ import annotations

from parley.media import fetched, uploads
from parley.publishing.csv_rows import Row, RowProblem
from parley.team.members import Principal


class MediaImporter:
    def __init__(self, principal: Principal, *, dry_run: bool) -> None:
        self.principal = principal
        self.dry_run = dry_run
        self._ids: dict[tuple[str, str | None], str | None] = {}  # None: checked in a dry run
        self._refused: dict[str, str] = {}

    def for_row(self, row: Row) -> tuple[list[str], list[RowProblem]]:
        """The row's media ids (none in a dry run), or why an image could not be taken."""
        media_ids, problems = [], []
        for index, url in enumerate(row.media_urls):
            alt = row.alt_texts[index] if index < len(row.alt_texts) and row.alt_texts[index] else None
            try:
                media_id = self._media_id(url, alt)
            except fetched.NotFetched as exc:
                problems.append(RowProblem(row.line, "media_urls", str(exc)))
                continue
            if media_id is not None:
                media_ids.append(media_id)
        return media_ids, problems

    def _media_id(self, url: str, alt: str | None) -> str | None:
        if url in self._refused:
            raise fetched.NotFetched(self._refused[url])
        if (url, alt) in self._ids:
            return self._ids[(url, alt)]
        try:
            data, verdict = fetched.fetch_image(url)
        except fetched.NotFetched as exc:
            self._refused[url] = str(exc)
            raise
        media_id = None if self.dry_run else str(uploads.create_checked(self.principal, data, verdict, alt).media_id)
        self._ids[(url, alt)] = media_id
        return media_id
