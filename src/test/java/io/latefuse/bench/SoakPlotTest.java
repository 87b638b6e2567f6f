package io.latefuse.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The soak's plain-Java charts and its reading of /metrics. */
class SoakPlotTest {

    @Test
    void anInstanceThatWasDownIsDrawnAsTwoLinesWithTheActionsMarked() {
        List<SoakPlot.Point> up = List.of(new SoakPlot.Point(0, 10), new SoakPlot.Point(5, 12), new SoakPlot.Point(10, 11),
                // down from 10 s to 40 s
                new SoakPlot.Point(40, 9), new SoakPlot.Point(45, 30));
        String svg = SoakPlot.svg("RSS", "K kill", "MiB", 1, Map.of("soak-0", up, "soak-1",
                List.of(new SoakPlot.Point(0, 5), new SoakPlot.Point(5, 6))), List.of(new SoakPlot.Mark(12, "K 0")), 60);
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n").contains(">K 0<", ">soak-0<", ">soak-1<", "RSS (MiB)");
        assertThat(svg.split("<polyline", -1)).hasSize(1 + 3);
        assertThat(svg).contains(">50<").as("the axis ends at a round number above the max").doesNotContain(">60<");
    }

    @Test
    void niceCeilings() {
        assertThat(SoakPlot.niceCeiling(0)).isEqualTo(1);
        assertThat(SoakPlot.niceCeiling(3)).isEqualTo(5);
        assertThat(SoakPlot.niceCeiling(120)).isEqualTo(200);
        assertThat(SoakPlot.niceCeiling(500)).isEqualTo(500);
    }

    @Test
    void metricsAreSummedOverTheirSeriesWithTheirLabels() throws Exception {
        String metrics = """
                # HELP jvm_memory_used_bytes The amount of used memory
                jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.0E7
                jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 2.5E7
                jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 9.0E7
                latefuse_pending_events 42.0
                latefuse_pending_events_other 7.0
                """;
        assertThat(SoakBench.sum(metrics, "jvm_memory_used_bytes", l -> l.contains("area=\"heap\""))).isEqualTo(3.5e7);
        assertThat(SoakBench.sum(metrics, "latefuse_pending_events", l -> true)).isEqualTo(42);
        assertThatThrownBy(() -> SoakBench.sum(metrics, "latefuse_predictions_total", l -> true))
                .hasMessageContaining("no latefuse_predictions_total");
        assertThat(SoakBench.eventIndex("ev-123", 1000)).isEqualTo(123);
        assertThat(SoakBench.eventIndex("ev-1000", 1000)).isEqualTo(-1);
        assertThat(SoakBench.eventIndex("other", 1000)).isEqualTo(-1);
    }
}
