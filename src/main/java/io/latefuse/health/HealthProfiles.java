package io.latefuse.health;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Learns the reference of {@code modality.health} from validation events, as {@code latefuse profile} does. */
public final class HealthProfiles {
    /** The fewest scores a modality's reference is learned from; one with fewer is left to its warm-up. */
    public static final int MIN_SCORES = 100;

    private HealthProfiles() {}

    /**
     * The profile of every modality with at least {@link #MIN_SCORES} scores among {@code events}.
     *
     * @param events each event's calibrated scores, as the stream fuses them; a modality without scores is absent
     */
    public static HealthProfile learn(PipelineConfig config, List<FusionInput> events) {
        Map<String, HealthProfile.Modality> out = new LinkedHashMap<>();
        for (int m = 0; m < config.numModalities(); m++) {
            List<double[]> scores = new ArrayList<>();
            int compared = 0;
            int agreed = 0;
            for (FusionInput in : events) {
                double[] p = in.probabilities()[m];
                if (p == null || p.length == 0) {
                    continue;
                }
                scores.add(p);
                int a = Agreement.of(in, m, 0);
                if (a >= 0) {
                    compared++;
                    agreed += a;
                }
            }
            if (scores.size() < MIN_SCORES) {
                continue;
            }
            out.put(config.modalities().get(m).name(), ScoreBins.reference(scores, config.numClasses(),
                    compared == 0 ? Double.NaN : agreed / (double) compared));
        }
        return new HealthProfile(config.classes(), out);
    }
}
