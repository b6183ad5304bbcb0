"""Reading raw request bodies (YAML/JSON documents, CSV uploads) with size caps."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from fastapi import Request

from hub.errors import BadRequest, PayloadTooLarge

DOCUMENT_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml")


#: OpenAPI for routes that take a YAML or JSON document
def document_body(schema: dict, example: dict | None = None) -> dict:
    content = {"schema": schema}
    if example:
        content["example"] = example
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": content, "application/yaml": {"schema": schema}},
        }
    }


async def read_document(request: Request, max_bytes: int) -> bytes:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind not in DOCUMENT_TYPES:
        raise BadRequest(f"send the document as {' or '.join(DOCUMENT_TYPES[:2])}, not {kind}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"the document is larger than {max_bytes} bytes")
    if not body.strip():
        raise BadRequest("the request body is empty; send the document")
    return bytes(body)


async def save_upload(request: Request, folder: Path, max_bytes: int, suffix: str) -> Path:
    """Stream the body to ``folder``; a partial file never stays behind."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"upload-{uuid.uuid4().hex[:12]}{suffix}"
    tmp = final.with_suffix(final.suffix + ".part")
    size = 0
    try:
        with tmp.open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"the upload is larger than {max_bytes} bytes")
                fh.write(chunk)
        if size == 0:
            raise BadRequest("the upload is empty")
        os.replace(tmp, final)
        return final
    finally:
        tmp.unlink(missing_ok=True)
