"""/v1/pii: find and redact personal data in free text (stewards, officers, admins)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.context import Actor
from hub.deps import Authorize, HubDep
from policies.decision import Action

router = APIRouter(prefix="/v1/pii", tags=["pii"])

#: longer texts belong in a batch job, not a request (the body cap is the outer limit)
MAX_TEXT = 100_000


class Language(StrEnum):
    vi = "vi"
    en = "en"


class TextIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT, examples=["Liên hệ chị Trần Thị Mai, SĐT 0912 345 678"])
    language: Language = Language.vi


class Entity(BaseModel):
    entity_type: str = Field(examples=["PHONE_NUMBER"])
    start: int = Field(examples=[29])
    end: int = Field(examples=[41])
    score: float = Field(examples=[0.95])


class Analysis(BaseModel):
    entities: list[Entity]


class Redacted(BaseModel):
    text: str = Field(examples=["Liên hệ chị <PERSON>, SĐT <PHONE_NUMBER>"])


@router.post("/analyze", response_model=Analysis, summary="Find personal data in text")
async def analyze(
    body: TextIn, hub: HubDep, actor: Annotated[Actor, Depends(Authorize(Action.pii_use))]
) -> Analysis:
    findings = await run_in_threadpool(hub.pii_engine().analyze, body.text, body.language.value)
    return Analysis(
        entities=[
            Entity(entity_type=f.entity_type, start=f.start, end=f.end, score=round(f.score, 3))
            for f in findings
        ]
    )


@router.post("/redact", response_model=Redacted, summary="Replace personal data by <TYPE>")
async def redact(
    body: TextIn, hub: HubDep, actor: Annotated[Actor, Depends(Authorize(Action.pii_use))]
) -> Redacted:
    text = await run_in_threadpool(hub.pii_engine().redact, body.text, body.language.value)
    return Redacted(text=text)
