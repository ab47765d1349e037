package dev.modelhub.optimize;

import dev.modelhub.format.Datatype;
import java.util.List;

/**
 * One input a dataset feeds.
 *
 * @param name the model input it feeds: an .npz array's name; null for a CSV, whose columns feed
 *     the model's only input
 * @param datatype the element type
 * @param sampleShape the shape of one sample (a CSV's is its number of input columns)
 */
public record DatasetInput(String name, Datatype datatype, List<Long> sampleShape) {}
