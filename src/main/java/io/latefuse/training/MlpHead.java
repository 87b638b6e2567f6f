package io.latefuse.training;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.latefuse.fusion.Calibrator;
import io.latefuse.fusion.OnnxGraphs;

import java.util.List;

/**
 * A one-hidden-layer MLP fusion head, {@code softmax(relu(x W1 + b1) W2 + b2)}, over an input vector that is the
 * head contract's inputs concatenated in order (for example scores, embeddings, mask). In float32, as ONNX Runtime
 * computes it; {@link #toOnnx} writes the same arithmetic.
 *
 * @param w1 [inputs][hidden]
 * @param w2 [hidden][classes]
 */
public record MlpHead(float[][] w1, float[] b1, float[][] w2, float[] b2) {
    public MlpHead {
        HeadWeights.requireFinite("w1", w1);
        HeadWeights.requireFinite("b1", b1);
        HeadWeights.requireFinite("w2", w2);
        HeadWeights.requireFinite("b2", b2);
    }

    public int inputs() {
        return w1.length;
    }

    public int hidden() {
        return b1.length;
    }

    public int classes() {
        return b2.length;
    }

    /** Class probabilities for one input vector. */
    public double[] predict(float[] x) {
        if (x.length != inputs()) {
            throw new IllegalArgumentException("the head takes " + inputs() + " inputs, got " + x.length);
        }
        float[] h = new float[hidden()];
        for (int j = 0; j < h.length; j++) {
            float acc = b1[j];
            for (int i = 0; i < x.length; i++) {
                acc += x[i] * w1[i][j];
            }
            h[j] = Math.max(0f, acc);
        }
        double[] z = new double[classes()];
        for (int k = 0; k < z.length; k++) {
            float acc = b2[k];
            for (int j = 0; j < h.length; j++) {
                acc += h[j] * w2[j][k];
            }
            z[k] = acc;
        }
        return Calibrator.softmax(z);
    }

    /**
     * The head as ONNX: one input per name, of the given widths, concatenated in this order to form x.
     *
     * @throws IllegalArgumentException when the widths do not add up to {@link #inputs()}
     */
    public ModelProto toOnnx(List<String> inputNames, List<Integer> widths, String outputName) {
        return OnnxGraphs.mlpHead(inputNames, widths, outputName, w1, b1, w2, b2);
    }
}
