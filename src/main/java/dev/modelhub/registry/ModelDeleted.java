package dev.modelhub.registry;

/**
 * A model was deleted, with its versions and aliases. Published inside the deleting transaction, so
 * that a listener's own clean-up commits or rolls back with it.
 *
 * @param model the model's name
 * @param modelId its id (a model created later under the same name gets another)
 */
public record ModelDeleted(String model, long modelId) {}
