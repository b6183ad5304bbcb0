"""/v1/datasets: register, list, show, change, delete, ingest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from connectors.descriptor import DatasetDescriptor, SourceSpec, load_descriptor
from hub import bodies
from hub.context import Actor
from hub.datasets import classify, flows, service
from hub.datasets.classify import Classification
from hub.datasets.schemas import DatasetPage, DatasetRead, IngestRead
from hub.deps import MAX_INT, Authorize, HubDep, check, unit_of_work
from hub.errors import BadRequest
from policies.decision import Action, Resource

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

EXAMPLE = {
    "id": "population-registry",
    "title": "Population registry",
    "agency": "cong-an",
    "classification": "restricted",
    "primary_key": "citizen_id",
    "source": {"connector": "csv", "path": "population.csv"},
    "fields": [
        {"name": "citizen_id", "type": "string", "pii": "VN_CCCD"},
        {"name": "full_name", "type": "string", "pii": "PERSON"},
        {"name": "ward", "type": "string"},
    ],
}


@router.get("", response_model=DatasetPage, summary="List datasets")
def list_datasets(
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_list))],
    agency: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> DatasetPage:
    with unit_of_work(hub) as session:
        rows, total = service.list_datasets(session, agency=agency, limit=limit, offset=offset)
        items = [DatasetRead.of(d, service.current_version(session, d)) for d in rows]
    return DatasetPage(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "",
    status_code=201,
    response_model=DatasetRead,
    summary="Register a dataset (descriptor as JSON or YAML)",
    openapi_extra=bodies.document_body(DatasetDescriptor.model_json_schema(), EXAMPLE),
)
async def register_dataset(
    request: Request,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_register, deferred=True))],
) -> DatasetRead:
    raw = await bodies.read_document(request, hub.settings.max_body_bytes)
    descriptor = load_descriptor(raw, source="request body")
    check(actor.principal, Action.datasets_register, Resource(agency=descriptor.agency))

    def work() -> DatasetRead:
        base = hub.settings.uploads_dir / descriptor.id
        with unit_of_work(hub) as session:
            dataset = service.register(
                session, descriptor=descriptor, actor=actor, source_base=base, via="api"
            )
            return DatasetRead.of(dataset, None)

    return await run_in_threadpool(work)


@router.get("/{dataset_id}", response_model=DatasetRead, summary="Show a dataset")
def show_dataset(
    dataset_id: str,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_read))],
) -> DatasetRead:
    with unit_of_work(hub) as session:
        dataset = service.get(session, dataset_id)
        return DatasetRead.of(dataset, service.current_version(session, dataset))


@router.patch(
    "/{dataset_id}",
    response_model=DatasetRead,
    summary="Change a dataset's title, classification, pii tags, source or open_data",
    openapi_extra=bodies.document_body({"type": "object"}, {"title": "Population registry 2025"}),
)
async def patch_dataset(
    dataset_id: str,
    request: Request,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_update))],
) -> DatasetRead:
    patch = _mapping(await bodies.read_document(request, hub.settings.max_body_bytes))

    def work() -> DatasetRead:
        with unit_of_work(hub) as session:
            dataset = service.update(
                session, dataset=service.get(session, dataset_id), patch=patch, actor=actor
            )
            return DatasetRead.of(dataset, service.current_version(session, dataset))

    return await run_in_threadpool(work)


@router.delete("/{dataset_id}", status_code=204, summary="Delete a dataset and its data")
def delete_dataset(
    dataset_id: str,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_delete))],
) -> Response:
    with unit_of_work(hub) as session:
        service.delete(session, dataset=service.get(session, dataset_id), actor=actor)
    return Response(status_code=204)


@router.get(
    "/{dataset_id}/classification",
    response_model=Classification,
    summary="PII findings per field from a random sample (examples masked)",
)
def classification(
    dataset_id: str,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_classify))],
    sample: Annotated[int, Query(ge=10, le=2000)] = classify.DEFAULT_SAMPLE,
) -> Classification:
    with unit_of_work(hub) as session:
        dataset = service.get(session, dataset_id)
        return classify.classify(session, hub, dataset=dataset, actor=actor, size=sample)


@router.post(
    "/{dataset_id}/ingest",
    response_model=IngestRead,
    summary="Ingest from the registered source, or from an uploaded CSV (Content-Type: text/csv)",
)
async def ingest_dataset(
    dataset_id: str,
    request: Request,
    hub: HubDep,
    actor: Annotated[Actor, Depends(Authorize(Action.datasets_ingest))],
) -> IngestRead:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    upload = None
    if kind == "text/csv":
        upload = await bodies.save_upload(
            request, hub.settings.uploads_dir / dataset_id, hub.settings.max_upload_bytes, ".csv"
        )

    def work() -> IngestRead:
        with unit_of_work(hub) as session:
            dataset = service.get(session, dataset_id)
            descriptor = service.descriptor_of(dataset)
            base, via = dataset.source_base, dataset.registered_via
        source = None
        if upload is not None:
            source = _upload_source(descriptor, str(upload))
        result = flows.ingest(
            hub.sessions,
            dataset_id=dataset_id,
            actor=actor,
            cipher=hub.cipher,
            context=hub.connector_context(
                base_dir=base, api_registered=via == "api" or upload is not None
            ),
            source=source,
            max_rejected_ratio=hub.settings.max_rejected_ratio,
        )
        return IngestRead(**result.as_dict())

    try:
        return await run_in_threadpool(work)
    finally:
        if upload is not None:
            upload.unlink(missing_ok=True)


def _upload_source(descriptor: DatasetDescriptor, path: str) -> SourceSpec:
    """The uploaded file, read with the registered CSV options (delimiter, columns, ...)."""
    options: dict[str, Any] = {}
    if descriptor.source.connector == "csv":
        options = {k: v for k, v in descriptor.source.options.items() if k != "path"}
    return SourceSpec(connector="csv", path=path, **options)


def _mapping(raw: bytes) -> dict[str, Any]:
    import yaml

    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise BadRequest(f"the body is not valid JSON or YAML: {exc}") from None
    if not isinstance(value, dict):
        raise BadRequest("send an object with the keys to change")
    return value
