package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code latefuse advise} on the real broker: scores written with known delays (their record timestamps), the
 * slowest modality uniform on 0-400 ms and missing from 5% of events; and its report drawn by a real headless
 * Chromium.
 */
@ExtendWith(RealKafka.class)
class AdviseIT {
    private static final int EVENTS = 4_000;
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private record Ran(int exit, String out, String err) {}

    private static Ran advise(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(stdout, true)); // before the command is made: it prints to System.out
        try {
            int exit = Main.commandLine().setErr(new PrintWriter(err)).execute(args);
            return new Ran(exit, stdout.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    private static Path config(KafkaEnvironment env, Path dir, String prefix) throws Exception {
        String body = """
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}, {name: prosody}]
                max.wait: 500ms
                """;
        PipelineConfig cfg = env.pipeline("advise", prefix, body);
        // CreateTime, unlike the LogAppendTime that `run --create-topics` sets: the test gives each score the time
        // it was "written", so that the delays are the data's, not this machine's scheduling.
        try (Admin admin = env.admin()) {
            KafkaEnvironment.createTopics(admin, cfg.inputTopics().stream().map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 3, (short) 1)
                    .configs(Map.of("message.timestamp.type", "CreateTime"))).toList());
        }
        return Files.writeString(dir.resolve(prefix + "yaml"), "application.id: " + cfg.applicationId()
                + "\nbootstrap.servers: " + env.bootstrapServers() + "\nschema.registry.url: " + env.registryUrl()
                + "\ntopic.prefix: " + prefix + "\n" + body);
    }

    @Test
    void advisesTheSlowModalitysTailAndReportsWhatNeverCame(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "adv" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = config(env, dir, prefix);
        Random rnd = new Random(42);
        long t0 = System.currentTimeMillis() - 5 * 60_000;
        int prosodyMissing = 0;
        List<ProducerRecord<String, byte[]>> scores = new ArrayList<>();
        for (int e = 0; e < EVENTS; e++) {
            String id = "ev-" + e;
            long first = t0 + 50L * e;
            scores.add(new ProducerRecord<>(prefix + "scores.acoustic", null, first, id, new byte[0]));
            scores.add(new ProducerRecord<>(prefix + "scores.lexical", null, first + rnd.nextInt(31), id, new byte[0]));
            if (rnd.nextDouble() < 0.05) {
                prosodyMissing++;
            } else {
                scores.add(new ProducerRecord<>(prefix + "scores.prosody", null, first + rnd.nextInt(401), id, new byte[0]));
            }
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                env.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            scores.forEach(r -> sent.add(p.send(r)));
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(); // every score is on the broker: what advise misses is advise's to answer for
        }
        assertThat(records(env, prefix + "scores.lexical")).isEqualTo(EVENTS);
        assertThat(records(env, prefix + "scores.prosody")).isEqualTo(EVENTS - prosodyMissing);
        Path reportDir = dir.resolve("report");
        Ran r = advise("advise", "--config", config.toString(), "--since", "1h", "--target-completeness", "0.99",
                "--report", reportDir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Matcher advised = Pattern.compile("Advised max.wait for 99.0% completeness: (\\d+) ms").matcher(r.out());
        assertThat(advised.find()).as(r.out()).isTrue();
        assertThat(Long.parseLong(advised.group(1))).as(r.out()).isBetween(360L, 440L);
        Matcher never = Pattern.compile("prosody never came for (\\d+\\.\\d)% of events").matcher(r.out());
        assertThat(never.find()).as(r.out()).isTrue();
        // The events judged leave out the last 5 s (the largest candidate): the share is of those judged.
        assertThat(Double.parseDouble(never.group(1))).as(r.out()).isBetween(4.0, 6.0);
        assertThat(100.0 * prosodyMissing / EVENTS).isBetween(4.0, 6.0);
        assertThat(r.out()).containsPattern("acoustic +0 ms +0 ms +0 ms +0 ms +0\\.0%")
                .containsPattern("prosody +\\d+ ms +\\d+ ms +3[89]\\d ms +(39\\d|400) ms");

        // The report, drawn by a real browser: the page renders and each modality's line is on it.
        Path page = reportDir.resolve("report.html");
        assertThat(page).exists();
        if (!Files.isExecutable(CHROMIUM)) {
            System.out.println("AdviseIT: no " + CHROMIUM + " here (Debian's chromium; .ci/run installs it): the "
                    + "report's screenshot is not taken");
            return;
        }
        Path png = dir.resolve("report.png");
        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + dir.resolve("chromium-profile"), "--window-size=1000,900",
                "--screenshot=" + png, page.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        assertThat(chromium.waitFor(120, TimeUnit.SECONDS)).as("chromium finishes").isTrue();
        assertThat(png).as(Files.readString(dir.resolve("chromium.log"))).exists();
        BufferedImage shot = ImageIO.read(png.toFile());
        assertThat(shot.getWidth()).isEqualTo(1000);
        int[] seen = new int[3];
        for (int m = 0; m < 3; m++) {
            seen[m] = pixels(shot, Integer.parseInt(io.latefuse.training.ArrivalDelayReport.COLOURS.get(m).substring(1), 16));
            assertThat(seen[m]).as("modality %d's colour: at least its legend", m).isGreaterThan(40);
        }
        // Acoustic and lexical run along 100% under the other lines; prosody's rise from 0 to 400 ms stands alone.
        assertThat(seen[2]).as("prosody's curve").isGreaterThan(300);
        // In a 1100-pixel window nothing is wider than the page: the text table scrolls in its own box.
        com.fasterxml.jackson.databind.JsonNode fit = io.latefuse.testkit.HeadlessChromium.probe(page, 1100,
                "({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,"
                        + " table: document.querySelector('pre').getBoundingClientRect().width})", dir);
        assertThat(fit.path("scrollWidth").asInt()).as("the page's width in a 1100-pixel window: %s", fit)
                .isLessThanOrEqualTo(fit.path("clientWidth").asInt());
    }

    @Test
    void noDataInTheRangeOrABadTargetIsAClearUsageError(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        Path config = config(env, dir, "adv-empty" + UUID.randomUUID().toString().substring(0, 6) + ".");
        Ran empty = advise("advise", "--config", config.toString(), "--since", "10m");
        assertThat(empty.exit()).isEqualTo(2);
        assertThat(empty.err()).contains("no scores in").contains("scores.prosody").contains("--since 10m")
                .doesNotContain("\tat ");
        Path noTopics = Files.writeString(dir.resolve("no-topics.yaml"), Files.readString(config)
                .replaceFirst("topic.prefix: .*", "topic.prefix: adv-none" + UUID.randomUUID().toString().substring(0, 6) + "."));
        Ran missing = advise("advise", "--config", noTopics.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).containsPattern("input topic adv-none\\w+\\.scores\\.acoustic \\(modality acoustic\\) does not exist");
        Ran bad = advise("advise", "--config", config.toString(), "--target-completeness", "1.5");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--target-completeness 1.5: must be in (0, 1)");
    }

    /** The records on a topic: the sum of its partitions' end offsets. */
    private static long records(KafkaEnvironment env, String topic) throws Exception {
        try (Admin admin = env.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
        }
    }

    /** Pixels within a small distance of {@code rgb}: a line's anti-aliased edges drift from its colour. */
    private static int pixels(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                int dr = ((p >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                int dg = ((p >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                int db = (p & 0xff) - (rgb & 0xff);
                if (dr * dr + dg * dg + db * db < 900) {
                    n++;
                }
            }
        }
        return n;
    }
}
