package io.latefuse.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every wire schema a commit on main has written is frozen in {@code src/test/resources/wire/<Name>-v<N>.avsc}: the
 * current {@code schemas/<Name>.avsc} must be its last frozen version (a change means a new frozen version), and
 * every version must read the records of the one before it and be read by it (FULL compatibility, as a consumer
 * and a producer on either side of an upgrade need).
 */
class WireSchemasFrozenTest {
    static final Path SCHEMAS = Path.of("schemas");
    static final Path FROZEN = Path.of("src/test/resources/wire");

    /** The named types a schema may refer to, parsed first (LabelledModalityScore holds a ModalityScore). */
    private static Schema parse(Path file, Path modalityScore) throws IOException {
        Schema.Parser parser = new Schema.Parser();
        if (!file.getFileName().toString().startsWith("ModalityScore")) {
            parser.parse(modalityScore.toFile());
        }
        return parser.parse(file.toFile());
    }

    private static List<Path> versions(String name) throws IOException {
        List<Path> out = new ArrayList<>();
        for (int v = 1; Files.exists(FROZEN.resolve(name + "-v" + v + ".avsc")); v++) {
            out.add(FROZEN.resolve(name + "-v" + v + ".avsc"));
        }
        return out;
    }

    @Test
    void everyWireSchemaIsItsLastFrozenVersion() throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            names = files.filter(p -> p.toString().endsWith(".avsc"))
                    .map(p -> p.getFileName().toString().replace(".avsc", "")).sorted().toList();
        }
        assertThat(names).contains("FusedPrediction", "ModalityScore", "ModalityFeatures", "LabelledModalityScore");
        for (String name : names) {
            List<Path> versions = versions(name);
            assertThat(versions).as(name + ": no frozen version in " + FROZEN + "; freeze it as " + name + "-v1.avsc")
                    .isNotEmpty();
            Schema current = parse(SCHEMAS.resolve(name + ".avsc"), SCHEMAS.resolve("ModalityScore.avsc"));
            Schema last = parse(versions.get(versions.size() - 1), FROZEN.resolve("ModalityScore-v1.avsc"));
            assertThat(SchemaNormalization.parsingCanonical(current))
                    .as(name + ".avsc differs on the wire from its last frozen version " + versions.get(versions.size() - 1)
                            + ": freeze it as " + name + "-v" + (versions.size() + 1) + ".avsc (and keep it compatible)")
                    .isEqualTo(SchemaNormalization.parsingCanonical(last));
        }
    }

    @Test
    void eachFrozenVersionIsFullyCompatibleWithTheOneBefore() throws IOException {
        for (String name : List.of("FusedPrediction", "ModalityScore", "ModalityFeatures", "LabelledModalityScore")) {
            List<Path> versions = versions(name);
            for (int v = 1; v < versions.size(); v++) {
                Schema older = parse(versions.get(v - 1), FROZEN.resolve("ModalityScore-v1.avsc"));
                Schema newer = parse(versions.get(v), FROZEN.resolve("ModalityScore-v1.avsc"));
                assertThat(SchemaCompatibility.checkReaderWriterCompatibility(newer, older).getType())
                        .as(versions.get(v) + " reads records written with " + versions.get(v - 1))
                        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
                assertThat(SchemaCompatibility.checkReaderWriterCompatibility(older, newer).getType())
                        .as(versions.get(v - 1) + " reads records written with " + versions.get(v))
                        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
            }
        }
    }

    /** Avro's parsing canonical form: what decides how a record is read (no docs, no defaults' formatting). */
    static final class SchemaNormalization {
        static String parsingCanonical(Schema s) {
            return org.apache.avro.SchemaNormalization.toParsingForm(s);
        }
    }
}
