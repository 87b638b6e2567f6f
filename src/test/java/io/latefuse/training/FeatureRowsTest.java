package io.latefuse.training;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureRowsTest {
    private static final PipelineConfig DIGITS = PipelineConfigLoader.load(Path.of("config/digits.yaml"), Map.of());

    @Test
    void rowsRoundTripGroupedByEventAndTheDigitsFeaturesAreScaledPixels(@TempDir Path dir) throws Exception {
        DigitsStudy.Image image = new DigitsStudy.Image("digit-1", new int[64], 3);
        image.pixels()[0] = 16;   // top-left corner
        image.pixels()[63] = 8;   // bottom-right corner
        List<FeatureRows.Event> events = DigitsStudy.features(DIGITS, List.of(image));
        Path f = dir.resolve("features.csv");
        FeatureRows.write(f, events);
        List<FeatureRows.Event> back = FeatureRows.read(f, DIGITS);
        assertThat(back).hasSize(1);
        assertThat(back.get(0).features()).containsOnlyKeys("top_left", "top_right", "bottom_left", "bottom_right");
        assertThat(back.get(0).features().get("top_left")[0]).isEqualTo(1.0f);
        assertThat(back.get(0).features().get("bottom_right")[15]).isEqualTo(0.5f);
        assertThat(back.get(0).features().get("top_right")).hasSize(16);
    }

    @Test
    void badRowsNameTheirLine(@TempDir Path dir) throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("event_id,modality,features...\ne1,camera,0.5\n", "line 2: modality 'camera' is not configured");
        bad.put("event_id,modality,features...\ne1,top_left,0.5,NaN\n", "line 2, value 2: 'NaN' is not a finite number");
        bad.put("event_id,modality,features...\ne1,top_left,0.5\ne1,top_left,0.6\n", "line 3: a second row for event e1, modality top_left");
        bad.put("id,values\n", "line 1: the header must be event_id,modality,features...");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path f = Files.writeString(dir.resolve("f.csv"), e.getKey());
            assertThatThrownBy(() -> FeatureRows.read(f, DIGITS)).isInstanceOf(DataFileException.class)
                    .hasMessageContaining(e.getValue());
        }
        assertThatThrownBy(() -> FeatureRows.read(dir.resolve("none.csv"), DIGITS)).hasMessageEndingWith("none.csv: no such file");
    }
}
