"""Media against moto's S3 and DynamoDB: register, upload with the presigned POST, check, read.

moto does not enforce a presigned POST's content-length-range (AWS refuses the upload with 400); the
check after upload refuses an oversized file either way, which is what these tests pin down."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from parley import members
from tests.support.api import ApiClient
from tests.support.images import png


@pytest.fixture
def editor(aws: str) -> ApiClient:
    admin = members.create_workspace("Pics", "Ada")
    return ApiClient(admin.token)


def upload(answer_body: dict[str, Any], data: bytes, content_type: str | None = None) -> requests.Response:
    form = answer_body["upload"]
    fields = dict(form["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    return requests.post(form["url"], data=fields, files={"file": ("image", data)}, timeout=10)


def register(client: ApiClient, data: bytes, content_type: str = "image/png", **extra: Any) -> dict[str, Any]:
    answer = client.call("POST", "/media", {"content_type": content_type, "size": len(data), **extra})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


def test_an_uploaded_png_is_checked_ready_with_its_dimensions(editor: ApiClient) -> None:
    image = png(8, 5)
    created = register(editor, image, alt="A red square")
    assert created["status"] == "pending"

    assert upload(created, image).status_code in (200, 201, 204)
    checked = editor.call("POST", f"/media/{created['id']}/complete")

    assert checked.status == 200
    assert checked.body["status"] == "ready"
    assert (checked.body["width"], checked.body["height"], checked.body["size"]) == (8, 5, len(image))
    assert editor.call("GET", f"/media/{created['id']}").body["alt"] == "A red square"


def test_completing_twice_changes_nothing(editor: ApiClient) -> None:
    image = png()
    created = register(editor, image)
    upload(created, image)

    first = editor.call("POST", f"/media/{created['id']}/complete").body
    again = editor.call("POST", f"/media/{created['id']}/complete").body

    assert first == again and again["status"] == "ready"


def test_a_png_declared_as_jpeg_is_rejected_naming_the_real_type(editor: ApiClient) -> None:
    image = png()
    created = register(editor, image, content_type="image/jpeg")
    upload(created, image)

    checked = editor.call("POST", f"/media/{created['id']}/complete").body

    assert checked["status"] == "rejected"
    assert "image/png, not image/jpeg" in checked["reason"]


def test_a_file_larger_than_declared_is_refused(editor: ApiClient) -> None:
    created = register(editor, png())  # declares the small file's size
    big = png(padding=5000)

    stored = upload(created, big)
    checked = editor.call("POST", f"/media/{created['id']}/complete").body

    # AWS refuses the upload itself (content-length-range); moto stores it and the check rejects it.
    assert stored.status_code == 400 or (checked["status"] == "rejected" and "more than" in checked["reason"])


def test_completing_before_uploading_is_422_and_the_media_stays_pending(editor: ApiClient) -> None:
    created = register(editor, png())

    answer = editor.call("POST", f"/media/{created['id']}/complete")

    assert answer.status == 422 and answer.body["errors"][0]["field"] == "media_id"
    assert editor.call("GET", f"/media/{created['id']}").body["status"] == "pending"


def test_a_type_parley_does_not_take_is_422(editor: ApiClient) -> None:
    answer = editor.call("POST", "/media", {"content_type": "image/bmp", "size": 10})

    assert answer.status == 422 and answer.body["errors"][0]["field"] == "content_type"


def test_another_workspaces_media_is_404(editor: ApiClient) -> None:
    created = register(editor, png())
    other = ApiClient(members.create_workspace("Other", "Bo").token)

    assert other.call("GET", f"/media/{created['id']}").status == 404
    assert other.call("POST", f"/media/{created['id']}/complete").status == 404
