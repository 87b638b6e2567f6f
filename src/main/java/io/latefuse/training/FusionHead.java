package io.latefuse.training;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.latefuse.fusion.OnnxGraphs;

/**
 * A learned fusion head: softmax regression on {@code [scores, mask, scores[i,c] * mask[j]]}, the same features
 * and arithmetic as the ONNX graph it exports to (in float32, as ONNX Runtime computes them).
 */
public record FusionHead(int modalities, int classes, float[][] weights, float[] bias) {
    public FusionHead {
        HeadWeights.requireFinite("weights", weights);
        HeadWeights.requireFinite("bias", bias);
    }

    public static int featureCount(int n, int c) {
        return n * c + n + n * c * n;
    }

    /**
     * The feature vector: scores (zeros where masked), the mask, then every score times every mask bit.
     *
     * @param scores [N][C] probabilities; rows of masked modalities are ignored
     * @param mask   [N] 1 where present
     */
    public static float[] features(float[][] scores, float[] mask, int n, int c) {
        float[] x = new float[featureCount(n, c)];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                x[i * c + k] = mask[i] == 0f ? 0f : scores[i][k];
            }
            x[n * c + i] = mask[i];
        }
        int base = n * c + n;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                float s = x[i * c + k];
                for (int j = 0; j < n; j++) {
                    x[base + (i * c + k) * n + j] = s * mask[j];
                }
            }
        }
        return x;
    }

    /** Class probabilities for one example. */
    public double[] predict(float[][] scores, float[] mask) {
        return new SoftmaxRegression.Weights(weights, bias).predict(features(scores, mask, modalities, classes));
    }

    /** The head as ONNX, following latefuse's head contract (inputs {@code scores}, {@code mask}). */
    public ModelProto toOnnx() {
        return OnnxGraphs.interactionHead("scores", "mask", "probabilities", modalities, classes, weights, bias);
    }
}
