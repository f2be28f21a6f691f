"""Drafts checked on demand, and approval (parley.publishing.validation, parley.publishing.approval):
`POST /posts/validate`, `POST /posts/{id}/approve`, `POST /posts/{id}/reject`, the workspace's approval
setting. docs/approval.md."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.http.fields import PathId
from parley.http.schemas import ApprovalSetting, CreatePost, RejectPost
from parley.publishing import approval, post_requests, posts, series, validation
from parley.scheduling.wiring import arming as _arming
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/posts/validate", summary="What queueing this post would refuse, per channel, and its text's counts")
def validate_post(body: CreatePost) -> dict[str, Any]:
    draft = post_requests.draft_of(body.model_dump())
    answer = validation.validate(_caller(), draft)
    if body.repeat is not None:  # a recurring or evergreen post's rules too (docs/recurring.md)
        answer = series.validated(_caller(), answer, draft, body.repeat.model_dump(exclude_none=True))
    return answer


@router.post("/posts/<post_id>/approve", summary="Approve a post waiting for approval: scheduled for its time")
def approve_post(post_id: PathId) -> dict[str, Any]:
    principal = _caller()
    approval.approve(principal, _arming(), post_id)
    return posts.get_post(principal, post_id)


@router.post("/posts/<post_id>/reject", summary="Reject a post waiting for approval: a draft again, with why")
def reject_post(post_id: PathId, body: RejectPost) -> dict[str, Any]:
    principal = _caller()
    approval.reject(principal, _arming(), post_id, body.comment)
    return posts.get_post(principal, post_id)


@router.get("/workspace/approval", summary="Whether contributors' posts wait for an editor's approval")
def get_approval() -> dict[str, Any]:
    return approval.view(_caller().workspace_id)


@router.put("/workspace/approval", summary="Turn approval of contributors' posts on or off (admins)")
def put_approval(body: ApprovalSetting) -> dict[str, Any]:
    return approval.set_required(_caller(), body.required)
