package io.latefuse.fusion;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * One ONNX model in ONNX Runtime: loaded once, its session shared (ONNX Runtime sessions are thread-safe),
 * with its inputs and outputs checked against what latefuse will feed it. Its version is the file's SHA-256.
 */
public final class OnnxModel implements AutoCloseable {
    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String version;
    private final Map<String, TensorInfo> inputs = new LinkedHashMap<>();
    private final Map<String, TensorInfo> outputs = new LinkedHashMap<>();

    /** The model does not fit what latefuse feeds it; the message lists its actual inputs and outputs. */
    public static class ModelMismatchException extends RuntimeException {
        public ModelMismatchException(String message) {
            super(message);
        }
    }

    private OnnxModel(Path file, OrtEnvironment env, OrtSession session, String version) throws OrtException {
        this.file = file;
        this.env = env;
        this.session = session;
        this.version = version;
        for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t) {
                inputs.put(e.getKey(), t);
            }
        }
        for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t) {
                outputs.put(e.getKey(), t);
            }
        }
    }

    public static OnnxModel load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelMismatchException("Cannot read ONNX model " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString()));
        }
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(1); // stream threads give the parallelism; one op thread each avoids oversubscription
            return new OnnxModel(file, env, env.createSession(bytes, options), "sha256:" + sha256(bytes));
        } catch (OrtException e) {
            throw new ModelMismatchException("ONNX Runtime cannot load " + file + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String version() {
        return version;
    }

    public Path file() {
        return file;
    }

    public Map<String, TensorInfo> inputs() {
        return inputs;
    }

    public Map<String, TensorInfo> outputs() {
        return outputs;
    }

    /** Checks that input (or output) {@code name} is a float tensor [batch, width]; {@code width} -1 accepts any. */
    public void requireMatrix(String role, String name, boolean input, long width) {
        TensorInfo t = (input ? inputs : outputs).get(name);
        if (t == null) {
            throw mismatch("has no " + (input ? "input" : "output") + " named '" + name + "' for " + role);
        }
        long[] shape = t.getShape();
        boolean ok = t.type == OnnxJavaType.FLOAT && shape.length == 2 && shape[0] <= 0
                && (width < 0 || shape[1] == width || shape[1] < 0);
        if (!ok) {
            throw mismatch((input ? "input" : "output") + " '" + name + "' (" + role + ") must be float[batch, "
                    + (width < 0 ? "any" : width) + "] with a free batch dimension, but is " + describe(t));
        }
    }

    /** The only output, or the named one. */
    public String outputName(Optional<String> configured) {
        if (configured.isPresent()) {
            return configured.get();
        }
        if (outputs.size() != 1) {
            throw mismatch("has " + outputs.size() + " outputs; name the one to use");
        }
        return outputs.keySet().iterator().next();
    }

    public ModelMismatchException mismatch(String problem) {
        StringJoiner in = new StringJoiner(", ");
        inputs.forEach((n, t) -> in.add(n + ": " + describe(t)));
        StringJoiner out = new StringJoiner(", ");
        outputs.forEach((n, t) -> out.add(n + ": " + describe(t)));
        return new ModelMismatchException("ONNX model " + file + " " + problem + ". The model has inputs [" + in
                + "] and outputs [" + out + "]");
    }

    private static String describe(TensorInfo t) {
        long[] s = t.getShape();
        StringJoiner j = new StringJoiner(", ", t.type.toString().toLowerCase() + "[", "]");
        for (long d : s) {
            j.add(d < 0 ? "?" : Long.toString(d));
        }
        return j.toString();
    }

    /**
     * Runs one batch. Each input is a row-major [batch, width] matrix.
     *
     * @return the output as [batch][width]
     */
    public float[][] run(Map<String, float[]> rowMajorInputs, Map<String, Integer> widths, int batch, String output) {
        return runAll(rowMajorInputs, widths, batch, java.util.Set.of(output)).get(output);
    }

    /**
     * Runs one batch and reads several outputs. Each input is a row-major [batch, width] matrix.
     *
     * @return each output as [batch][width], by name
     */
    public Map<String, float[][]> runAll(Map<String, float[]> rowMajorInputs, Map<String, Integer> widths, int batch,
                                        java.util.Set<String> outputs) {
        Map<String, OnnxTensor> tensors = new HashMap<>();
        try {
            for (Map.Entry<String, float[]> e : rowMajorInputs.entrySet()) {
                tensors.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()),
                        new long[] {batch, widths.get(e.getKey())}));
            }
            try (OrtSession.Result result = session.run(tensors, outputs)) {
                Map<String, float[][]> out = new HashMap<>();
                for (String name : outputs) {
                    out.put(name, (float[][]) result.get(name).orElseThrow().getValue());
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + file + " (batch " + batch + "): " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing a session that failed is not worth failing shutdown over
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + file + ", " + version + ", inputs " + inputs.keySet() + ", outputs " + outputs.keySet()
                + "]";
    }
}
