"""Model configurations: the catalog every chat path reads, its admin CRUD, and the models
declared by the environment and the models file."""

from __future__ import annotations

import os

from parley.adapters.config.models_file import load_models_file
from parley.adapters.security.secret_box import FernetSecretBox
from parley.application.models.admin import (
    CreateModelConfig,
    DeleteModelConfig,
    UpdateModelConfig,
)
from parley.application.models.catalog import ModelCatalog
from parley.application.models.configured import (
    ECHO_MODEL,
    ConfiguredModel,
    merge_declarations,
    models_from_environment,
)
from parley.application.models.queries import GetModelConfig, ListAvailableModels, ListModelConfigs
from parley.application.services import ModelServices
from parley.container.infrastructure import Infrastructure
from parley.container.values import comma_list
from parley.settings import Settings


def model_services(infra: Infrastructure) -> ModelServices:
    uow_factory, clock = infra.uow_factory, infra.clock
    box = FernetSecretBox(infra.secret)
    catalog = ModelCatalog(
        uow_factory,
        infra.cache,
        box,
        os.environ,
        check_seconds=infra.settings.model_catalog_check_seconds,
    )
    return ModelServices(
        catalog=catalog,
        list_available=ListAvailableModels(catalog),
        list_configs=ListModelConfigs(uow_factory),
        get_config=GetModelConfig(uow_factory),
        create_config=CreateModelConfig(uow_factory, catalog, box, clock),
        update_config=UpdateModelConfig(uow_factory, catalog, box, clock),
        delete_config=DeleteModelConfig(uow_factory, catalog, clock),
    )


def declared_models(settings: Settings) -> list[ConfiguredModel]:
    """The echo model, the environment's providers, then the models file (which wins on a
    name clash). Raises `ModelsFileError` for a bad file, before anything is served."""
    from_env = (
        models_from_environment(os.environ, comma_list(settings.ollama_models))
        if settings.discover_provider_env
        else [ECHO_MODEL]
    )
    from_file = load_models_file(settings.models_file) if settings.models_file else []
    return merge_declarations(from_env, from_file)
