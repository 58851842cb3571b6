"""The composition root: the one place that turns settings into adapters and wires the services.

Everything else receives what it needs from here. Executors are imported only when chosen (each brings
its own machinery: subprocesses, an HTTP client for the Space). Tests swap a provider with
`container.executor.override(...)` instead of patching modules.
"""

from __future__ import annotations

from dependency_injector import containers, providers
from itsdangerous import URLSafeTimedSerializer

from adapters.artifact_check import WorkerProcessVerifier
from adapters.auth import GoogleIdentityProvider, JwtTokenService, load_or_create_secret
from adapters.blobs import DatabaseBlobStore, FilesystemBlobStore
from adapters.clock import SystemClock
from adapters.persistence.sqlalchemy import SqlDatabase, SqlUnitOfWork
from adapters.tabular import PolarsTableReader
from adapters.wakeup import LocalWakeup, PostgresWakeup
from automl_core.ports import BlobStore, Executor, Predictor, RunWakeup, StepPreviewer
from automl_core.services.auth import AuthService
from automl_core.services.datasets import DatasetService
from automl_core.services.models import ModelService
from automl_core.services.node_cache import NodeCache
from automl_core.services.previews import PreviewService
from automl_core.services.reuse import BranchReuse
from automl_core.services.runs import RunService
from automl_core.services.supervisor import RunSupervisor
from automl_core.services.workflows import WorkflowService
from entrypoints.settings import Settings


def _local_executor(settings: Settings) -> Executor:
    from adapters.executors.local import LocalProcessExecutor

    executor: Executor = LocalProcessExecutor(memory_limit_mb=settings.job_memory_mb)
    return executor


def _gradio_executor(settings: Settings) -> Executor:
    from adapters.executors.gradio_space import GradioSpaceExecutor

    executor: Executor = GradioSpaceExecutor(settings.hf_space_url or "", token=settings.hf_token)
    return executor


def _dask_executor(settings: Settings) -> Executor:
    from adapters.executors.dask import DaskExecutor

    executor: Executor = DaskExecutor(settings.dask_scheduler_address, shared_storage=settings.dask_shared_storage)
    return executor


def _memory_executor() -> Executor:
    from adapters.memory import MemoryExecutor

    executor: Executor = MemoryExecutor()
    return executor


def _warm_process_predictor(settings: Settings, blobs: BlobStore) -> Predictor:
    from adapters.prediction import WarmProcessPredictor

    return WarmProcessPredictor(blobs, memory_limit_mb=settings.job_memory_mb)


def _gradio_predictor(executor: Executor, blobs: BlobStore) -> Predictor:
    from adapters.executors.gradio_space import GradioSpaceExecutor
    from adapters.prediction.gradio_space import GradioSpacePredictor

    if not isinstance(executor, GradioSpaceExecutor):
        raise TypeError("the Gradio predictor talks through the Gradio executor")
    return GradioSpacePredictor(executor, blobs)


def _dask_predictor(settings: Settings, executor: Executor, blobs: BlobStore) -> Predictor:
    from adapters.executors.dask import DaskExecutor
    from adapters.prediction.dask import DaskPredictor

    if not isinstance(executor, DaskExecutor):
        raise TypeError("the Dask predictor runs on the Dask executor's cluster")
    return DaskPredictor(executor, blobs, shared_storage=settings.dask_shared_storage)


def _previewer(executor: Executor) -> StepPreviewer | None:
    """The executor previews steps too when it can (every built-in one does): previews run where runs do."""
    return executor if isinstance(executor, StepPreviewer) else None


def _secret(settings: Settings) -> str:
    """`JWT_SECRET` when set; otherwise a random secret kept in the data directory."""
    return settings.jwt_secret or load_or_create_secret(settings.data_dir)


def _google(settings: Settings) -> GoogleIdentityProvider | None:
    """Google sign-in's client, or None where the server offers no Google sign-in."""
    if not settings.google_sign_in:
        return None
    return GoogleIdentityProvider(
        settings.google_client_id or "", settings.google_client_secret or "", settings.google_discovery_url
    )


def _wakeup(database: SqlDatabase) -> RunWakeup:
    """LISTEN/NOTIFY where replicas share a PostgreSQL database; an in-process event otherwise."""
    if database.url.get_backend_name() == "postgresql":
        wakeup: RunWakeup = PostgresWakeup(database.url.set(drivername="postgresql").render_as_string(False))
    else:
        wakeup = LocalWakeup()
    return wakeup


def _flow_signer(secret: str) -> URLSafeTimedSerializer:
    """Signs the sign-in flow's state cookie; the salt keeps its signatures apart from anything else."""
    return URLSafeTimedSerializer(secret, salt="automl.google-sign-in")


async def close(container: Container) -> None:
    """Release what the chosen adapters hold open: processes or HTTP clients, the DB pool."""
    for adapter in (container.predictor(), container.executor(), container.artifact_verifier(), container.wakeup()):
        closer = getattr(adapter, "close", None)
        if closer is not None:
            await closer()
    await container.database().dispose()


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    database = providers.Singleton(SqlDatabase, settings.provided.database_url)
    uow = providers.Factory(SqlUnitOfWork, database)
    wakeup = providers.Singleton(_wakeup, database)

    blobs = providers.Selector(
        settings.provided.blobs,
        fs=providers.Singleton(FilesystemBlobStore, settings.provided.blob_dir),
        db=providers.Singleton(DatabaseBlobStore, database),
    )
    table_reader = providers.Singleton(PolarsTableReader, max_columns=settings.provided.max_columns)
    executor = providers.Selector(
        settings.provided.executor,
        local=providers.Singleton(_local_executor, settings),
        gradio=providers.Singleton(_gradio_executor, settings),
        dask=providers.Singleton(_dask_executor, settings),
        memory=providers.Singleton(_memory_executor),
    )
    # Prediction is the executor's concern: it runs where that executor's models live.
    predictor = providers.Selector(
        settings.provided.executor,
        local=providers.Singleton(_warm_process_predictor, settings, blobs),
        gradio=providers.Singleton(_gradio_predictor, executor, blobs),
        dask=providers.Singleton(_dask_predictor, settings, executor, blobs),
        memory=providers.Singleton(_warm_process_predictor, settings, blobs),
    )
    previewer = providers.Callable(_previewer, executor)
    node_cache = providers.Singleton(NodeCache, uow.provider, blobs, clock, settings.provided.cache_bytes)
    artifact_verifier = providers.Singleton(WorkerProcessVerifier)
    secret = providers.Singleton(_secret, settings)
    tokens = providers.Singleton(JwtTokenService, secret, clock)
    google = providers.Singleton(_google, settings)
    flow_signer = providers.Singleton(_flow_signer, secret)

    auth_service = providers.Singleton(AuthService, uow.provider, tokens, clock)
    dataset_service = providers.Singleton(DatasetService, uow.provider, blobs, table_reader, clock)
    workflow_service = providers.Singleton(WorkflowService, uow.provider, clock)
    run_service = providers.Singleton(RunService, uow.provider, clock, wakeup)
    model_service = providers.Singleton(ModelService, uow.provider, blobs, predictor)
    preview_service = providers.Singleton(PreviewService, uow.provider, blobs, previewer, node_cache)
    branch_reuse = providers.Singleton(BranchReuse, node_cache)
    supervisor = providers.Singleton(
        RunSupervisor,
        uow.provider,
        blobs,
        executor,
        clock,
        max_parallel=settings.provided.max_runs,
        per_user=settings.provided.runs_per_user,
        replica_id=settings.provided.replica_id,
        lease_s=settings.provided.lease_s,
        run_timeout_s=settings.provided.run_timeout_s,
        reuse=branch_reuse,
        verifier=artifact_verifier,
        wakeup=wakeup,
    )
