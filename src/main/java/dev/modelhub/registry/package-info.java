/**
 * The model registry: models, their numbered versions (artifact digest, format, signature, lineage,
 * report), aliases such as {@code production} with the history of every move, and the REST API
 * under {@code /api/v1/models}. Publishes {@link dev.modelhub.registry.AliasMoved} and {@link
 * dev.modelhub.registry.AliasRemoved} (serving reloads) and {@link
 * dev.modelhub.registry.ModelDeleted} (optimization drops the model's datasets and jobs).
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.registry;
