package io.latefuse.tools;

import io.latefuse.testkit.Jars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command, as a user runs it: the tools jar's demo in its own JVM (stdout is not a terminal,
 * so it prints plain lines), for a fixed duration. It must show live numbers and leave no process behind.
 */
class DemoIT {

    @Test
    void theDemoRunsEndToEndAndShutsEverythingDown(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("demo.log");
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", Jars.TOOLS.toString(),
                "demo", "--duration", "15s", "--rate", "40", "--seed", "3")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(demo.waitFor(180, TimeUnit.SECONDS)).as("the demo ends after --duration").isTrue();
            String out = Files.readString(log);
            assertThat(demo.exitValue()).as(out).isZero();
            assertThat(out).contains("Starting the schema registry").contains("Starting Kafka (KRaft")
                    .containsPattern("ready at localhost:\\d+ in \\d+\\.\\d s")
                    .contains("Producing synthetic DDSD utterances at 40/s")
                    .contains("stopped EmbeddedKafka").contains("stopped ApicurioRegistryProcess");
            String last = out.substring(out.indexOf("Final:"));
            Matcher counts = Pattern.compile("COMPLETE=(\\d+) DEGRADED=(\\d+)").matcher(last);
            assertThat(counts.find()).isTrue();
            int complete = Integer.parseInt(counts.group(1));
            int degraded = Integer.parseInt(counts.group(2));
            // 15 s at 40/s is about 600 utterances; the first seconds go to warm-up.
            assertThat(complete + degraded).isGreaterThan(200);
            assertThat(last).containsPattern("accuracy complete \\d+\\.\\d%").containsPattern("wait p50 \\d+ ms, p99 \\d+ ms")
                    .containsPattern("missing: acoustic \\d+\\.\\d%, lexical \\d");

            // The registry child process it started is gone.
            Matcher pid = Pattern.compile("\\(pid (\\d+)\\)").matcher(out);
            assertThat(pid.find()).isTrue();
            assertThat(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false))
                    .as("Apicurio child left behind").isFalse();
        } finally {
            demo.destroyForcibly();
        }
    }
}
