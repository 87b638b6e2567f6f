package io.latefuse.fusion;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes small ONNX graphs with the ONNX protobuf classes: linear (softmax-regression) models, which is what
 * latefuse's per-modality scorers and fusion heads are. Nothing is downloaded; the graphs are built here.
 */
public final class OnnxGraphs {
    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    private static final long OPSET = 13;

    private OnnxGraphs() {}

    /**
     * A fusion head following latefuse's contract: inputs {@code scores} [B, N*C] and {@code mask} [B, N];
     * {@code logits = [scores, mask] W + b}; output [B, C], probabilities (softmax) or raw logits.
     *
     * @param weights [N*C + N][C], row-major by input feature
     */
    public static ModelProto linearHead(String scoresName, String maskName, String outputName, int modalities, int classes,
                                        float[][] weights, float[] bias, boolean softmax) {
        int in = modalities * classes + modalities;
        check(weights, bias, in, classes);
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-linear-head")
                .addInput(floatInput(scoresName, modalities * classes))
                .addInput(floatInput(maskName, modalities))
                .addInitializer(tensor("W", weights))
                .addInitializer(tensor("b", bias))
                .addNode(node("Concat", List.of(scoresName, maskName), "x", axis(1)))
                .addNode(node("Gemm", List.of("x", "W", "b"), softmax ? "logits" : outputName, null));
        if (softmax) {
            g.addNode(node("Softmax", List.of("logits"), outputName, axis(1)));
        }
        g.addOutput(floatInput(outputName, classes));
        return model(g);
    }

    /**
     * A fusion head over scores, mask and per-modality embeddings: {@code softmax([scores, mask, embeddings] W + b)},
     * with inputs {@code scores} [B, N*C], {@code mask} [B, N] and {@code embeddings} [B, N*E].
     *
     * @param weights [N*C + N + N*E][C]
     */
    public static ModelProto embeddingHead(String scoresName, String maskName, String embeddingsName, String outputName,
                                           int modalities, int classes, int embeddingSize, float[][] weights, float[] bias) {
        check(weights, bias, modalities * classes + modalities + modalities * embeddingSize, classes);
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-embedding-head")
                .addInput(floatInput(scoresName, modalities * classes))
                .addInput(floatInput(maskName, modalities))
                .addInput(floatInput(embeddingsName, modalities * embeddingSize))
                .addInitializer(tensor("W", weights))
                .addInitializer(tensor("b", bias))
                .addNode(node("Concat", List.of(scoresName, maskName, embeddingsName), "x", axis(1)))
                .addNode(node("Gemm", List.of("x", "W", "b"), "logits", null))
                .addNode(node("Softmax", List.of("logits"), outputName, axis(1)))
                .addOutput(floatInput(outputName, classes));
        return model(g);
    }

    /**
     * A fusion head that sees how the mask and the scores interact: features
     * {@code [scores, mask, scores[i,c] * mask[j] for i, c, j]} (that last block flattened in (i, c, j) order),
     * then {@code softmax(features W + b)}. So it can reweight a modality's evidence by which others are present.
     *
     * @param weights [N*C + N + N*C*N][C]
     */
    public static ModelProto interactionHead(String scoresName, String maskName, String outputName, int modalities,
                                             int classes, float[][] weights, float[] bias) {
        int n = modalities;
        int c = classes;
        check(weights, bias, n * c + n + n * c * n, classes);
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-interaction-head")
                .addInput(floatInput(scoresName, n * c))
                .addInput(floatInput(maskName, n))
                .addInitializer(int64s("shape_s", -1, n, c, 1))
                .addInitializer(int64s("shape_m", -1, 1, 1, n))
                .addInitializer(int64s("shape_flat", -1, (long) n * c * n))
                .addInitializer(tensor("W", weights))
                .addInitializer(tensor("b", bias))
                .addNode(node("Reshape", List.of(scoresName, "shape_s"), "s4", null))
                .addNode(node("Reshape", List.of(maskName, "shape_m"), "m4", null))
                .addNode(node("Mul", List.of("s4", "m4"), "inter", null))
                .addNode(node("Reshape", List.of("inter", "shape_flat"), "inter_flat", null))
                .addNode(node("Concat", List.of(scoresName, maskName, "inter_flat"), "x", axis(1)))
                .addNode(node("Gemm", List.of("x", "W", "b"), "logits", null))
                .addNode(node("Softmax", List.of("logits"), outputName, axis(1)))
                .addOutput(floatInput(outputName, c));
        return model(g);
    }

    /** A softmax regression from features [B, F] to class probabilities [B, C]: a per-modality scorer. */
    public static ModelProto softmaxRegression(String inputName, String outputName, float[][] weights, float[] bias) {
        int features = weights.length;
        int classes = bias.length;
        check(weights, bias, features, classes);
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-softmax-regression")
                .addInput(floatInput(inputName, features))
                .addInitializer(tensor("W", weights))
                .addInitializer(tensor("b", bias))
                .addNode(node("Gemm", List.of(inputName, "W", "b"), "logits", null))
                .addNode(node("Softmax", List.of("logits"), outputName, axis(1)))
                .addOutput(floatInput(outputName, classes));
        return model(g);
    }

    /**
     * A softmax regression that also outputs an embedding of its features: {@code outputName} = softmax(x W + b)
     * [B, C], and {@code embeddingName} = x P [B, E], a linear projection, as a scorer with a hidden layer would.
     */
    public static ModelProto softmaxRegressionWithEmbedding(String inputName, String outputName, String embeddingName,
                                                            float[][] weights, float[] bias, float[][] projection) {
        int features = weights.length;
        int classes = bias.length;
        check(weights, bias, features, classes);
        if (projection.length != features || projection[0].length == 0) {
            throw new IllegalArgumentException("the projection must be [" + features + "][E], got [" + projection.length + "][..]");
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-softmax-regression-embedding")
                .addInput(floatInput(inputName, features))
                .addInitializer(tensor("W", weights))
                .addInitializer(tensor("b", bias))
                .addInitializer(tensor("P", projection))
                .addNode(node("Gemm", List.of(inputName, "W", "b"), "logits", null))
                .addNode(node("Softmax", List.of("logits"), outputName, axis(1)))
                .addNode(node("MatMul", List.of(inputName, "P"), embeddingName, null))
                .addOutput(floatInput(outputName, classes))
                .addOutput(floatInput(embeddingName, projection[0].length));
        return model(g);
    }

    /**
     * A one-hidden-layer MLP head: the named inputs [B, width_i] concatenated in order, then
     * {@code softmax(relu(x W1 + b1) W2 + b2)}, output [B, C]. Under the head contract the inputs are
     * {@code scores}, {@code embeddings} or {@code features}, and {@code mask}.
     *
     * @param w1 [sum of widths][H]
     * @param w2 [H][C]
     */
    public static ModelProto mlpHead(List<String> inputNames, List<Integer> widths, String outputName, float[][] w1,
                                     float[] b1, float[][] w2, float[] b2) {
        int in = widths.stream().mapToInt(Integer::intValue).sum();
        check(w1, b1, in, b1.length);
        check(w2, b2, b1.length, b2.length);
        GraphProto.Builder g = GraphProto.newBuilder().setName("latefuse-mlp-head");
        for (int i = 0; i < inputNames.size(); i++) {
            g.addInput(floatInput(inputNames.get(i), widths.get(i)));
        }
        String x = inputNames.get(0);
        if (inputNames.size() > 1) {
            g.addNode(NodeProto.newBuilder().setOpType("Concat").setName("Concat_x").addAllInput(inputNames)
                    .addOutput("x").addAttribute(axis(1)).build());
            x = "x";
        }
        g.addInitializer(tensor("W1", w1)).addInitializer(tensor("b1", b1))
                .addInitializer(tensor("W2", w2)).addInitializer(tensor("b2", b2))
                .addNode(node("Gemm", List.of(x, "W1", "b1"), "hidden_in", null))
                .addNode(node("Relu", List.of("hidden_in"), "hidden", null))
                .addNode(node("Gemm", List.of("hidden", "W2", "b2"), "logits", null))
                .addNode(node("Softmax", List.of("logits"), outputName, axis(1)))
                .addOutput(floatInput(outputName, b2.length));
        return model(g);
    }

    public static void write(ModelProto model, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, model.toByteArray());
    }

    private static void check(float[][] weights, float[] bias, int rows, int cols) {
        if (weights.length != rows || bias.length != cols) {
            throw new IllegalArgumentException("weights must be [" + rows + "][" + cols + "] and bias [" + cols
                    + "], got [" + weights.length + "][..] and [" + bias.length + "]");
        }
        for (float[] row : weights) {
            if (row.length != cols) {
                throw new IllegalArgumentException("every weight row needs " + cols + " values");
            }
        }
    }

    private static ModelProto model(GraphProto.Builder graph) {
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("latefuse")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    private static ValueInfoProto floatInput(String name, int width) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(TensorShapeProto.newBuilder()
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))))).build();
    }

    private static TensorProto tensor(String name, float[][] m) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT)
                .addDims(m.length).addDims(m[0].length);
        for (float[] row : m) {
            for (float v : row) {
                t.addFloatData(v);
            }
        }
        return t.build();
    }

    private static TensorProto int64s(String name, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(v.length);
        for (long x : v) {
            t.addInt64Data(x);
        }
        return t.build();
    }

    private static TensorProto tensor(String name, float[] v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT).addDims(v.length);
        for (float x : v) {
            t.addFloatData(x);
        }
        return t.build();
    }

    private static AttributeProto axis(long axis) {
        return AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(axis).build();
    }

    private static NodeProto node(String op, List<String> inputs, String output, AttributeProto attribute) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + output).addAllInput(inputs).addOutput(output);
        if (attribute != null) {
            n.addAttribute(attribute);
        }
        return n.build();
    }
}
