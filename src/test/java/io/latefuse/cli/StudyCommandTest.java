package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The digits study end to end through the commands: scorers, train twice, evaluate, report. */
class StudyCommandTest {

    @Test
    void theDigitsStudyWritesEveryRowAndASelfContainedReport(@TempDir Path dir) throws Exception {
        java.io.PrintStream console = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(Main.commandLine().execute("study", "digits", "--out", dir.toString())).isZero();
        } finally {
            System.setOut(console);
        }
        assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("| modalities present | n | strategy | accuracy |").contains("Mean accuracy over the 14 subsets");

        JsonNode results = new ObjectMapper().readTree(dir.resolve("report/results.json").toFile());
        // 2^4 - 1 subsets x (weighted_mean, log_odds, vote, and late, intermediate, hybrid and early heads with and
        // without dropout)
        assertThat(results.path("rows")).hasSize(15 * 11);
        // dropout against none at each level; then per family (closed-form, learned) fusion against one modality
        assertThat(results.path("checks")).hasSize(6);
        assertThat(results.path("checks").get(4).asText()).contains("the best closed-form fusion (log_odds")
                .contains("alone, by weighted_mean");
        assertThat(results.path("checks").get(5).asText()).contains("the best learned head (early-no-dropout")
                .contains("alone, by early-dropout");
        assertThat(results.path("fusion_gain")).hasSize(11); // a subset of 2, 3 or 4 of the 4 quadrants
        assertThat(results.path("costs")).hasSize(11);
        java.util.Map<String, Double> allFour = new java.util.HashMap<>();
        java.util.Map<String, Double> missingOne = new java.util.HashMap<>();
        for (JsonNode row : results.path("rows")) {
            String s = row.path("strategy").asText();
            if (row.path("present").size() == 4) {
                allFour.put(s, row.path("accuracy").asDouble());
            } else {
                missingOne.merge(s, row.path("accuracy").asDouble() / 14, Double::sum);
            }
        }
        // docs/EVALUATION.md's targets: the intermediate head with dropout beats late log_odds by 0.02 with every
        // quadrant, and on average with one or more missing beats both log_odds and itself trained without dropout.
        assertThat(allFour.get("intermediate-dropout")).isGreaterThanOrEqualTo(allFour.get("log_odds") + 0.02);
        assertThat(missingOne.get("intermediate-dropout")).isGreaterThan(missingOne.get("log_odds"))
                .isGreaterThan(missingOne.get("intermediate-no-dropout"));
        // docs/EVALUATION.md: early fusion over the raw pixels, too, needs dropout to survive a missing quadrant.
        assertThat(missingOne.get("early-dropout")).isGreaterThan(missingOne.get("early-no-dropout") + 0.2);
        assertThat(allFour.get("early-no-dropout")).isGreaterThan(allFour.get("log_odds"));
        for (JsonNode row : results.path("rows")) {
            assertThat(row.path("n").asInt()).isPositive();
            assertThat(row.path("accuracy").asDouble()).isBetween(0.0, 1.0);
        }
        // Every quadrant model, and the fusion, does much better than the 10% of chance.
        assertThat(results.path("rows").get(results.path("rows").size() - 1).path("accuracy").asDouble()).isGreaterThan(0.8);

        String html = Files.readString(dir.resolve("report/report.html"));
        assertThat(html).contains("<svg").contains("head-dropout").doesNotContain("<script").doesNotContain("<link")
                .doesNotContain("src=");
        JsonNode sidecar = new ObjectMapper().readTree(dir.resolve("head-dropout.json").toFile());
        assertThat(sidecar.path("dropout").asDouble()).isEqualTo(0.5);
        assertThat(sidecar.path("modalities")).hasSize(4);
        assertThat(sidecar.path("training_rows").asInt()).isGreaterThan(300);
    }

    @Test
    void theDdsdStudysIntermediateHeadWinsWhereTheCrossModalCueIsAndHybridKeepsTheRest(@TempDir Path dir) throws Exception {
        java.io.PrintStream console = System.out;
        System.setOut(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true));
        try {
            assertThat(Main.commandLine().execute("study", "ddsd", "--events", "2000", "--out", dir.toString())).isZero();
        } finally {
            System.setOut(console);
        }
        java.util.Map<String, java.util.List<Double>> withCue = new java.util.HashMap<>();
        java.util.Map<String, java.util.List<Double>> withoutCue = new java.util.HashMap<>();
        for (JsonNode row : new ObjectMapper().readTree(dir.resolve("report/results.json").toFile()).path("rows")) {
            java.util.List<String> present = new java.util.ArrayList<>();
            row.path("present").forEach(p -> present.add(p.asText()));
            boolean cue = present.contains("acoustic") && present.contains("lexical");
            (cue ? withCue : withoutCue).computeIfAbsent(row.path("strategy").asText(), k -> new java.util.ArrayList<>())
                    .add(row.path("accuracy").asDouble());
        }
        java.util.function.BiFunction<java.util.Map<String, java.util.List<Double>>, String, Double> mean =
                (m, s) -> m.get(s).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        // docs/EVALUATION.md: with both cues, intermediate and hybrid beat late fusion clearly; without, intermediate
        // is at chance and hybrid is on a par with log_odds.
        assertThat(mean.apply(withCue, "intermediate-dropout")).isGreaterThan(mean.apply(withCue, "log_odds") + 0.04);
        assertThat(mean.apply(withCue, "hybrid-dropout")).isGreaterThan(mean.apply(withCue, "log_odds") + 0.05);
        assertThat(mean.apply(withoutCue, "intermediate-dropout")).isLessThan(0.6);
        assertThat(mean.apply(withoutCue, "hybrid-dropout")).isGreaterThan(mean.apply(withoutCue, "log_odds") - 0.02);
    }

    @Test
    void theDdsdGeneratorIsDeterministic(@TempDir Path dir) throws Exception {
        assertThat(Main.commandLine().execute("generate", "ddsd", "--seed", "3", "--events", "200", "--out",
                dir.resolve("a.csv").toString())).isZero();
        assertThat(Main.commandLine().execute("generate", "ddsd", "--seed", "3", "--events", "200", "--out",
                dir.resolve("b.csv").toString())).isZero();
        assertThat(Files.readString(dir.resolve("a.csv"))).isEqualTo(Files.readString(dir.resolve("b.csv")))
                .startsWith("event_id,label,acoustic_directed,acoustic_undirected,");
    }
}
