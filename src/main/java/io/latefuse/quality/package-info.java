/**
 * {@code latefuse quality}: the predictions on the output topic judged against ground truth that arrives minutes to
 * days later, and their quality per subset of modalities present, over a sliding window. A Kafka Streams app of its
 * own ({@code <application.id>-quality}), so that waiting for labels never grows the fusion app's state or touches
 * its latency. See docs/DESIGN.md, "Live quality from ground truth".
 */
package io.latefuse.quality;
