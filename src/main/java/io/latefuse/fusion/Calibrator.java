package io.latefuse.fusion;

import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig.Calibration;

import java.util.List;

/**
 * Turns one modality's raw scores into calibrated probabilities, by temperature scaling or Platt scaling,
 * from either probabilities or logits.
 */
public final class Calibrator {
    /** Probabilities are floored here before taking logs, so that a hard 0 stays finite. */
    static final double MIN_PROBABILITY = 1e-12;

    private final Calibration calibration;

    public Calibrator(Calibration calibration) {
        this.calibration = calibration;
    }

    public double[] probabilities(List<Float> scores, ScoreType type) {
        double[] z = new double[scores.size()];
        for (int c = 0; c < z.length; c++) {
            z[c] = logit(scores.get(c), type);
        }
        return calibrateLogits(z);
    }

    public double[] probabilities(float[] scores, ScoreType type) {
        double[] z = new double[scores.length];
        for (int c = 0; c < z.length; c++) {
            z[c] = logit(scores[c], type);
        }
        return calibrateLogits(z);
    }

    private static double logit(double s, ScoreType type) {
        return type == ScoreType.LOGIT ? s : Math.log(Math.max(s, MIN_PROBABILITY));
    }

    /** Calibrates logits (or log-probabilities) into probabilities. */
    public double[] calibrateLogits(double[] z) {
        switch (calibration.method()) {
            case TEMPERATURE -> {
                double[] scaled = new double[z.length];
                for (int c = 0; c < z.length; c++) {
                    scaled[c] = z[c] / calibration.temperature();
                }
                return softmax(scaled);
            }
            case PLATT -> {
                double s = z[0] - z[1];
                double p0 = sigmoid(calibration.a() * s + calibration.b());
                return new double[] {p0, 1 - p0};
            }
            default -> {
                return softmax(z);
            }
        }
    }

    public static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int c = 0; c < z.length; c++) {
            p[c] = Math.exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < z.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
