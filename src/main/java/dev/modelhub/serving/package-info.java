/**
 * The serving controller: keeps the versions that the served aliases point at loaded on this node
 * and swaps in a newly promoted version without failing a request. {@link
 * dev.modelhub.serving.InferenceService} is the runtime's surface (it knows nothing of HTTP);
 * {@code serving.http} exposes it over the Open Inference Protocol v2 and TF Serving's REST API.
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.serving;
