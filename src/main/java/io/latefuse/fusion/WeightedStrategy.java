package io.latefuse.fusion;

/** The closed-form strategies: a name, per-modality weights in config order, and no model file. */
abstract class WeightedStrategy implements FusionStrategy {
    private final String name;
    protected final double[] weights;

    WeightedStrategy(String name, double[] weights) {
        this.name = name;
        this.weights = weights.clone();
    }

    @Override
    public final String name() {
        return name;
    }

    /** Closed-form strategies have no model file; their version changes only with their arithmetic. */
    @Override
    public final String modelVersion() {
        return name + "/1";
    }
}
