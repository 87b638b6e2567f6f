package io.latefuse.cli;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.training.FeatureRows;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** produce's sends through Kafka's MockProducer: what it prints and its exit code when the broker refuses a record. */
class ProduceCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** produce, parsed from {@code args} as the command line would, printing into {@link #out} and {@link #err}. */
    private ProduceCommand produce(String... args) {
        CommandLine cli = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("produce", "--config", "config/ddsd.yaml"));
        all.addAll(List.of(args));
        cli.parseArgs(all.toArray(String[]::new));
        return cli.getSubcommands().get("produce").getCommand();
    }

    private static PipelineConfig ddsd() {
        return PipelineConfigLoader.load(Path.of("config/ddsd.yaml"), Map.of());
    }

    @Test
    void aRefusedScoreIsReportedWithItsTopicAndCauseAndExitsNonZero() throws Exception {
        ProduceCommand produce = produce("--synthetic", "ddsd", "--events", "30", "--rate", "100000", "--late-delay", "1");
        ScoreStreamTest.Refusing<ModalityScore> producer = new ScoreStreamTest.Refusing<>(5, 1);
        int exit = produce.produceScores(ddsd(), producer, ScoreStream.synthetic(1));
        String topic = producer.history().get(4).topic();
        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).doesNotContain("Produced");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("latefuse produce: sending to topic "
                + java.util.regex.Pattern.quote(topic) + " failed \\(RecordTooLargeException: The message is 1048664 "
                + "bytes when serialized, which is larger than 1048576\\); stopped after (\\d+) events: 5 scores sent, "
                + "4 acknowledged, 1 failed\\R").matcher(err.toString());
        assertThat(m.matches()).as(err.toString()).isTrue();
        // The events started: at least those whose scores were sent, at most those asked for.
        assertThat(Long.parseLong(m.group(1))).isBetween(producer.history().stream().map(r -> r.key()).distinct().count(), 30L);
    }

    @Test
    void whenAllAreAcknowledgedThePrintedCountIsTheAcknowledgedOnesAndTheExitCodeZero() throws Exception {
        ProduceCommand produce = produce("--synthetic", "ddsd", "--events", "30", "--rate", "100000", "--late-delay", "1");
        ScoreStreamTest.Refusing<ModalityScore> producer = new ScoreStreamTest.Refusing<>(0, 4);
        int exit = produce.produceScores(ddsd(), producer, ScoreStream.synthetic(1));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).isEqualTo("Produced " + producer.history().size() + " scores for 30 events"
                + System.lineSeparator());
        assertThat((long) producer.history().size()).isEqualTo(ScoreStreamTest.scoresOf(1, 30));
        assertThat(err.toString()).isEmpty();
    }

    private static List<FeatureRows.Event> rows(int n) {
        List<FeatureRows.Event> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, float[]> f = new LinkedHashMap<>();
            f.put("acoustic", new float[] {i, 1});
            f.put("lexical", new float[] {1, i});
            rows.add(new FeatureRows.Event("f" + i, f));
        }
        return rows;
    }

    @Test
    void aRefusedFeatureStopsTheFeaturesToo() throws Exception {
        ProduceCommand produce = produce("--features", "unused.csv", "--rate", "100000");
        // Acknowledged two at a time: the 3rd send's refusal is seen at the 4th, and nothing is sent after it.
        ScoreStreamTest.Refusing<ModalityFeatures> producer = new ScoreStreamTest.Refusing<>(3, 2);
        int exit = produce.produceFeatures(ddsd(), producer, rows(10));
        assertThat(exit).isEqualTo(1);
        assertThat(producer.history()).hasSize(4);
        assertThat(err.toString()).isEqualTo("latefuse produce: sending to topic ddsd.features.acoustic failed "
                + "(RecordTooLargeException: The message is 1048664 bytes when serialized, which is larger than 1048576); "
                + "stopped after 2 events: 4 features sent, 3 acknowledged, 1 failed" + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void whenAllFeaturesAreAcknowledgedTheyAreCounted() throws Exception {
        ProduceCommand produce = produce("--features", "unused.csv", "--rate", "100000", "--events", "7");
        ScoreStreamTest.Refusing<ModalityFeatures> producer = new ScoreStreamTest.Refusing<>(0, 3);
        int exit = produce.produceFeatures(ddsd(), producer, rows(10));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(producer.history()).hasSize(14);
        assertThat(out.toString()).isEqualTo("Produced 14 features for 7 events" + System.lineSeparator());
    }
}
